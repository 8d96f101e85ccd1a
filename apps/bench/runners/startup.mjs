// An empty script: how long after process start its first line runs (Node's boot, plus any --import hook).
import { emit } from './_common.mjs';

emit({ ms: performance.now() });

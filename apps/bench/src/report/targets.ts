import type { EngineBenchResult } from '../engine/engine-bench.js';

/** One of the targets, checked on one subject. */
export interface TargetCheck {
  target: string;
  subject: string;
  value: number;
  threshold: string;
  pass: boolean;
  detail: string;
}

/**
 * The targets, on medians, for the cache as users get it: the default
 * (hot) tier. Every module and workload measured is checked, none skipped; the
 * full tier's figures are in the tables beside them.
 */
export function checkTargets(engine: EngineBenchResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const m of engine.modules.filter((x) => x.tier === 'hot')) {
    const speedup = m.optimizing.median / m.load.median;
    checks.push({
      target: 'load ≥ 50× faster than the optimizing compile',
      subject: m.name,
      value: speedup,
      threshold: '≥ 50×',
      pass: speedup >= 50,
      detail: `${m.optimizing.median.toFixed(0)} ms / ${m.load.median.toFixed(1)} ms (with engine construction: ${(m.optimizing.median / m.loadWithEngine.median).toFixed(0)}×)`,
    });
    const overFloor = m.load.median / m.floor.median;
    checks.push({
      target: 'load within 1.3× of the floor',
      subject: m.name,
      value: overFloor,
      threshold: '≤ 1.3×',
      pass: overFloor <= 1.3,
      detail: `${m.load.median.toFixed(1)} ms / ${m.floor.median.toFixed(1)} ms`,
    });
    checks.push({
      target: 'every cache load a verified hit; V8 accepted every floor payload',
      subject: m.name,
      value: m.allHits && m.allAccepted ? 1 : 0,
      threshold: 'all',
      pass: m.allHits && m.allAccepted,
      detail: `hits: ${m.allHits ? 'all' : 'NOT all'}, acceptedByV8: ${m.allAccepted ? 'all' : 'NOT all'}`,
    });
  }
  for (const w of engine.workloads) {
    const firstRatio = w.cachedFirst.median / w.plainFirst.median;
    checks.push({
      target: 'never slower to first result than plain Node',
      subject: w.name,
      value: firstRatio,
      threshold: 'cached ≤ plain',
      pass: firstRatio <= 1,
      detail: `${w.plainFirst.median.toFixed(0)} ms plain → ${w.cachedFirst.median.toFixed(0)} ms cached`,
    });
    if (w.name === 'esbuild-wasm') {
      const restSpeedup = w.plainRest.median / w.cachedRest.median;
      checks.push({
        target: '≥ 4× faster on esbuild’s workload (rest of the workload)',
        subject: w.name,
        value: restSpeedup,
        threshold: '≥ 4×',
        pass: restSpeedup >= 4,
        detail: `${w.plainRest.median.toFixed(0)} ms plain → ${w.cachedRest.median.toFixed(0)} ms cached (whole run: ${((w.plainFirst.median + w.plainRest.median) / (w.cachedFirst.median + w.cachedRest.median)).toFixed(2)}×)`,
      });
    }
  }
  return checks;
}

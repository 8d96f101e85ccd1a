// `node --import ./register-ts.mjs --conditions=@cache/source ...`: see ts-hooks.mjs.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);

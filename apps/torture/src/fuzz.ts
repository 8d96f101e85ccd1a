import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CacheConfigError, parseCount, parseDuration, parsePercent, parseSize, UnitParseError } from '@cache/config';
import { Config, Engine, CacheConfig } from '@cache/engine';
import { parseCacheConfig, TomlSyntaxError } from '@cache/toml';
import fc from 'fast-check';
import { lastJson, runWorker, scratch, writeModules } from './children.js';
import { Figures } from './figures.js';
import { readFileSync } from 'node:fs';

/** Bad input: the TOML adapter, the unit parsers and the artifact loader under generated input. */
export async function fuzz(inputs: number, seed: number): Promise<Figures> {
  const figures = new Figures('bad input');
  let untyped = 0;
  let slow = 0;
  const time = (work: () => void) => {
    const started = performance.now();
    work();
    if (performance.now() - started > 1000) slow += 1;
  };

  const keys = ['directory', 'cleanup-interval', 'files-total-size-soft-limit', 'baseline-compression-level', 'enabled', 'unknown-key', 'file-count-soft-limit'];
  const values = fc.oneof(fc.string().map((s) => JSON.stringify(s)), fc.integer().map(String), fc.constantFrom('true', '"1h"', '"512Mi"', '"70%"', '[1, 2]', '{ a = 1 }', '1979-05-27', '3.5', '"""\nx\n"""', '"\\u0000"'));
  const documents = fc.oneof(
    fc.array(fc.oneof(fc.constant('[cache]'), fc.constant('[other]'), fc.tuple(fc.constantFrom(...keys), values).map(([k, v]) => `${k} = ${v}`), fc.string()), { maxLength: 10 }).map((lines) => lines.join('\n')),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
  );
  for (const text of fc.sample(documents, { numRuns: inputs, seed })) {
    time(() => {
      try {
        parseCacheConfig(text, { onWarning: () => undefined });
      } catch (error) {
        if (!(error instanceof TomlSyntaxError || error instanceof CacheConfigError)) untyped += 1;
      }
    });
  }
  figures.count('TOML documents', inputs);

  const unitText = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.stringMatching(/^[\s0-9KMGTPikmgtp%sdh.+-]{0,16}$/));
  const parsers = [parseSize, parseCount, parseDuration, parsePercent];
  for (const text of fc.sample(unitText, { numRuns: inputs, seed: seed + 1 })) {
    for (const parse of parsers) {
      time(() => {
        try {
          parse(text);
        } catch (error) {
          if (!(error instanceof UnitParseError)) untyped += 1;
        }
      });
    }
  }
  figures.count('unit strings (x4 parsers)', inputs);

  // Artifact loader: in a child, so a crash would be counted rather than end the suite.
  const work = scratch('fuzz');
  const [wasm] = writeModules(work, [120]) as [string];
  const engine = new Engine(Config.default().cacheConfig(CacheConfig.disabled()));
  const artifactFile = join(work, 'module.cwasm');
  writeFileSync(artifactFile, await engine.precompile(readFileSync(wasm)));
  const loaderCases = Math.max(200, Math.floor(inputs / 5));
  const loader = await runWorker('fuzz-loader.mjs', [artifactFile, wasm, String(loaderCases), String(seed)], { timeoutMs: 300_000 });
  const report = lastJson<{ mutations: number; typedErrors: number; loaded: number; untyped: number; invalidWasm: number; compileErrors: number; otherCompileOutcomes: number }>(loader.stdout);
  figures.count('mutated artifacts given to the loader', report?.mutations ?? -1);
  figures.count('refused with a typed error', report?.typedErrors ?? -1);
  figures.count('invalid wasm compiled', report?.invalidWasm ?? -1);
  figures.count('rejected with WebAssembly.CompileError', report?.compileErrors ?? -1);
  figures.require('loader process crashed or hung', loader.signal || loader.code !== 0 || loader.timedOut ? 1 : 0, 0);
  figures.require('errors that were not the typed ones', untyped + (report?.untyped ?? 0), 0);
  figures.require('inputs that took over a second (hangs)', slow, 0);
  return figures;
}

import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { benchRoot } from './child.js';

const require = createRequire(path.join(benchRoot, 'package.json'));

/** A real module from an npm package, and the workload that uses it. */
export interface CorpusModule {
  /** Short name used in tables. */
  name: string;
  /** npm package and version installed. */
  pkg: string;
  version: string;
  /** The module's absolute path. */
  wasmPath: string;
  wireBytes: number;
  /** The runner script of its workload, when it has one. */
  workload?: { script: string; description: string; mode: 'hook' | 'hook+preload' | 'spawned-child+preload' };
}

/** The version of the package a file belongs to (some packages do not export their package.json). */
function versionOf(pkg: string, file: string): string {
  for (let directory = path.dirname(file); directory !== path.dirname(directory); directory = path.dirname(directory)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === pkg && manifest.version) return manifest.version;
    } catch {
      // no package.json here
    }
  }
  return 'unknown';
}

function module(name: string, pkg: string, file: string, workload: CorpusModule['workload']): CorpusModule {
  const wasmPath = require.resolve(`${pkg}/${file}`);
  return { name, pkg, version: versionOf(pkg, wasmPath), wasmPath, wireBytes: statSync(wasmPath).size, ...(workload ? { workload } : {}) };
}

/** The corpus: sql.js and esbuild-wasm always; @swc/wasm and duckdb-wasm in the full run. */
export function corpus(quick: boolean): CorpusModule[] {
  const modules = [
    module('sql.js', 'sql.js', 'dist/sql-wasm.wasm', {
      script: 'workload-sqljs.mjs',
      description: 'init + `SELECT 1`; then 50k inserts and 10 aggregate/join queries',
      mode: 'hook',
    }),
    module('esbuild-wasm', 'esbuild-wasm', 'esbuild.wasm', {
      script: 'workload-esbuild.mjs',
      description: 'first `transform` of a small TS class; then 10 minified transforms of 300 copies',
      mode: 'spawned-child+preload',
    }),
  ];
  if (quick) return modules;
  return [
    ...modules,
    module('@swc/wasm', '@swc/wasm', 'wasm_bg.wasm', {
      script: 'workload-swc.mjs',
      description: 'first `transformSync` of a small TS class; then 5 × (parseSync + minified transformSync) of 300 copies',
      mode: 'hook+preload',
    }),
    // The MVP build: the one every engine runs (the EH build needs wasm exceptions).
    module('duckdb-wasm (mvp)', '@duckdb/duckdb-wasm', 'dist/duckdb-mvp.wasm', {
      script: 'workload-duckdb.mjs',
      description: 'create + instantiate + connect + `SELECT 42`; then a 2M-row table, 3 × (GROUP BY + self-join)',
      mode: 'hook',
    }),
  ];
}

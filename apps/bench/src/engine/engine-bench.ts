/**
 * The engine benchmark: for each real module of the corpus, side by side in one run and each
 * figure in fresh processes, several times:
 *
 * - plain Node compile (`WebAssembly.compile`, V8's lazy default),
 * - the full optimizing compile (`--no-liftoff --no-wasm-lazy-compilation`, every function by TurboFan),
 * - load from our cache (a fresh `Engine` and `engine.compile` on a warm cache),
 * - the floor (read V8's serialized code from a plain file and `deserialize` it: no cache machinery),
 *
 * plus a real workload per module run with and without the cache (time to first result, and the
 * rest of the workload), the import cost of the packages, and a breakdown of a cache load's steps.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { benchRoot, runChild } from './child.js';
import { corpus, type CorpusModule } from './corpus.js';
import { summarize, type Summary } from '../report/stats.js';

export interface ModuleResult {
  name: string;
  pkg: string;
  version: string;
  wasmFile: string;
  wireBytes: number;
  artifactBytes: number;
  payloadBytes: number;
  /** The producer's optimizing compile, as recorded in the artifact header (one run). */
  producerCompileMs: number;
  /** Miss + background production, in the warm-up process. */
  productionMs: number;
  plain: Summary;
  optimizing: Summary;
  /** `engine.compile` on a hit. */
  load: Summary;
  /** `new Engine` + `engine.compile`. */
  loadWithEngine: Summary;
  /** The engine's own `stats().loadMs` (read, verify, V8). */
  engineLoadMs: Summary;
  floor: Summary;
  floorRead: Summary;
  floorDeserialize: Summary;
  /** Steps of a hit done one by one (fingerprint, store open, hash, read, verify, V8). */
  breakdown: Record<string, Summary>;
  /** Every cache-load process reported exactly one hit and no miss. */
  allHits: boolean;
  /** V8 accepted the floor's payload in every process. */
  allAccepted: boolean;
}

export interface WorkloadResult {
  name: string;
  description: string;
  mode: string;
  plainFirst: Summary;
  cachedFirst: Summary;
  plainRest: Summary;
  cachedRest: Summary;
  /** Hits/misses the hook reported in the cached runs, where the runner can read them (not esbuild's service child). */
  cacheCounts?: { hits: number[]; misses: number[] };
}

export interface EngineBenchResult {
  mode: 'quick' | 'full';
  startedAt: string;
  seconds: number;
  repeats: { compile: number; optimizing: number; workload: number };
  importCosts: Record<string, Summary>;
  /** An empty script: ms from process start to its first line, plain and with the register hook. */
  startup: { plain: Summary; withHook: Summary };
  modules: ModuleResult[];
  workloads: WorkloadResult[];
}

interface PrepareOut { cached: boolean; productionMs: number; artifactBytes: number; payloadBytes: number; producerCompileMs: number }
interface MsOut { ms: number }
interface LoadOut { constructMs: number; compileMs: number; totalMs: number; hits: number; misses: number; engineLoadMs: number }
interface FloorOut { readMs: number; deserializeMs: number; totalMs: number; acceptedByV8: boolean }
interface WorkloadOut { firstResultMs: number; restMs: number; hits?: number; misses?: number }
type BreakdownOut = Record<string, number | boolean>;

const OPTIMIZING_FLAGS = ['--no-liftoff', '--no-wasm-lazy-compilation'];

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

export async function runEngineBench(options: { quick: boolean; only?: string[] }): Promise<EngineBenchResult> {
  const { quick } = options;
  const started = Date.now();
  const repeats = { compile: quick ? 3 : 5, optimizing: quick ? 2 : 3, workload: quick ? 3 : 5 };
  const modules = corpus(quick).filter((m) => !options.only || options.only.some((o) => m.name.includes(o)));
  const scratch = path.join(benchRoot, 'results', `tmp-engine-${process.pid}`);
  const cacheDirectory = path.join(scratch, 'cache');
  mkdirSync(cacheDirectory, { recursive: true });
  const registerUrl = import.meta.resolve('@cache/engine/register');
  log(`@cache/engine benchmark (${quick ? 'quick' : 'full'}): ${modules.map((m) => m.name).join(', ')}; repeats ${JSON.stringify(repeats)}`);

  try {
    // 1. Warm the cache once per module (miss + background production) and keep the payload for the floor.
    const prepared = new Map<string, PrepareOut & { payloadPath: string }>();
    for (const m of modules) {
      const payloadPath = path.join(scratch, `${m.name.replace(/[^a-z0-9]+/gi, '_')}.payload`);
      const out = await runChild<PrepareOut>('prepare.mjs', [m.wasmPath, cacheDirectory, payloadPath], { timeoutMs: 600_000 });
      if (!out.cached) throw new Error(`${m.name}: the cache was not warmed`);
      prepared.set(m.name, { ...out, payloadPath });
      log(`  warmed ${m.name}: artifact ${(out.artifactBytes / 1e6).toFixed(1)} MB, production ${out.productionMs.toFixed(0)} ms`);
    }

    // 2. Import costs and start-up with the hook (empty script).
    const importSamples: Record<string, number[]> = { '@cache/engine': [], '@cache/v8': [], '@cache/engine/register': [] };
    const startupPlain: number[] = [];
    const startupHook: number[] = [];
    for (let r = 0; r < repeats.compile; r++) {
      for (const specifier of Object.keys(importSamples)) {
        const out = await runChild<MsOut>('import-cost.mjs', [specifier], { env: { WASM_CACHE_DIRECTORY: cacheDirectory } });
        importSamples[specifier]?.push(out.ms);
      }
      startupPlain.push((await runChild<MsOut>('startup.mjs', [])).ms);
      startupHook.push((await runChild<MsOut>('startup.mjs', [], { nodeArgs: ['--import', registerUrl], env: { WASM_CACHE_DIRECTORY: cacheDirectory } })).ms);
    }
    const importCosts = Object.fromEntries(Object.entries(importSamples).map(([k, v]) => [k, summarize(v)]));
    log(`  import @cache/engine: ${importCosts['@cache/engine']?.median.toFixed(1)} ms`);

    // 3. Compile / load / floor, interleaved within each repeat so noise hits them alike.
    const samples = new Map<string, Record<string, number[]>>();
    const flags = new Map<string, { allHits: boolean; allAccepted: boolean }>();
    const push = (name: string, key: string, value: number): void => {
      const entry = samples.get(name) ?? {};
      (entry[key] ??= []).push(value);
      samples.set(name, entry);
    };
    for (let r = 0; r < repeats.compile; r++) {
      for (const m of modules) {
        const prep = prepared.get(m.name);
        if (!prep) continue;
        const f = flags.get(m.name) ?? { allHits: true, allAccepted: true };
        push(m.name, 'plain', (await runChild<MsOut>('plain-compile.mjs', [m.wasmPath])).ms);
        const load = await runChild<LoadOut>('cache-load.mjs', [m.wasmPath, cacheDirectory]);
        if (load.hits !== 1 || load.misses !== 0) f.allHits = false;
        push(m.name, 'load', load.compileMs);
        push(m.name, 'loadWithEngine', load.totalMs);
        push(m.name, 'engineLoadMs', load.engineLoadMs);
        const floor = await runChild<FloorOut>('floor.mjs', [m.wasmPath, prep.payloadPath]);
        if (!floor.acceptedByV8) f.allAccepted = false;
        push(m.name, 'floor', floor.totalMs);
        push(m.name, 'floorRead', floor.readMs);
        push(m.name, 'floorDeserialize', floor.deserializeMs);
        const breakdown = await runChild<BreakdownOut>('load-breakdown.mjs', [m.wasmPath, cacheDirectory]);
        for (const [key, value] of Object.entries(breakdown)) if (typeof value === 'number') push(m.name, `breakdown.${key}`, value);
        if (r < repeats.optimizing) {
          push(m.name, 'optimizing', (await runChild<MsOut>('plain-compile.mjs', [m.wasmPath], { nodeArgs: OPTIMIZING_FLAGS, timeoutMs: 600_000 })).ms);
        }
        flags.set(m.name, f);
        const s = samples.get(m.name) ?? {};
        log(`  [${r + 1}/${repeats.compile}] ${m.name}: plain ${last(s.plain)} | load ${last(s.load)} | floor ${last(s.floor)}${r < repeats.optimizing ? ` | optimizing ${last(s.optimizing)}` : ''}`);
      }
    }
    const moduleResults: ModuleResult[] = modules.map((m) => {
      const s = samples.get(m.name) ?? {};
      const prep = prepared.get(m.name);
      const breakdown: Record<string, Summary> = {};
      for (const [key, values] of Object.entries(s)) if (key.startsWith('breakdown.')) breakdown[key.slice('breakdown.'.length)] = summarize(values);
      const f = flags.get(m.name) ?? { allHits: false, allAccepted: false };
      return {
        name: m.name,
        pkg: m.pkg,
        version: m.version,
        wasmFile: path.relative(path.join(benchRoot, 'node_modules'), m.wasmPath),
        wireBytes: m.wireBytes,
        artifactBytes: prep?.artifactBytes ?? 0,
        payloadBytes: prep?.payloadBytes ?? 0,
        producerCompileMs: prep?.producerCompileMs ?? Number.NaN,
        productionMs: prep?.productionMs ?? Number.NaN,
        plain: summarize(s.plain ?? []),
        optimizing: summarize(s.optimizing ?? []),
        load: summarize(s.load ?? []),
        loadWithEngine: summarize(s.loadWithEngine ?? []),
        engineLoadMs: summarize(s.engineLoadMs ?? []),
        floor: summarize(s.floor ?? []),
        floorRead: summarize(s.floorRead ?? []),
        floorDeserialize: summarize(s.floorDeserialize ?? []),
        breakdown,
        ...f,
      };
    });

    // 4. Workloads, with and without the cache (warm: the same cache directory).
    const workloads: WorkloadResult[] = [];
    for (const m of modules) {
      if (!m.workload) continue;
      const { script } = m.workload;
      const cachedOptions = {
        nodeArgs: m.workload.mode === 'spawned-child+preload' ? [] : ['--import', registerUrl],
        env: {
          BENCH_USE_CACHE: '1',
          WASM_CACHE_DIRECTORY: cacheDirectory,
          ...(m.workload.mode === 'hook+preload' ? { WASM_CACHE_PRELOAD: m.wasmPath } : {}),
        },
        timeoutMs: 600_000,
      };
      // One untimed run of each first (page cache, any artifact the hook still lacks); not in --quick.
      if (!quick) {
        await runChild<WorkloadOut>(script, [], { timeoutMs: 600_000 });
        await runChild<WorkloadOut>(script, [], cachedOptions);
      }
      const s: Record<string, number[]> = { plainFirst: [], cachedFirst: [], plainRest: [], cachedRest: [], hits: [], misses: [] };
      for (let r = 0; r < repeats.workload; r++) {
        // Alternate which goes first, so a drift in machine load does not favour one.
        const order = r % 2 === 0 ? (['plain', 'cached'] as const) : (['cached', 'plain'] as const);
        for (const kind of order) {
          const out = await runChild<WorkloadOut>(script, [], kind === 'plain' ? { timeoutMs: 600_000 } : cachedOptions);
          s[`${kind}First`]?.push(out.firstResultMs);
          s[`${kind}Rest`]?.push(out.restMs);
          if (kind === 'cached' && out.hits !== undefined) {
            s.hits?.push(out.hits);
            s.misses?.push(out.misses ?? 0);
          }
        }
        log(`  [${r + 1}/${repeats.workload}] workload ${m.name}: first ${last(s.plainFirst)} → ${last(s.cachedFirst)}, rest ${last(s.plainRest)} → ${last(s.cachedRest)}`);
      }
      workloads.push({
        name: m.name,
        description: m.workload.description,
        mode: m.workload.mode,
        plainFirst: summarize(s.plainFirst ?? []),
        cachedFirst: summarize(s.cachedFirst ?? []),
        plainRest: summarize(s.plainRest ?? []),
        cachedRest: summarize(s.cachedRest ?? []),
        ...((s.hits?.length ?? 0) > 0 ? { cacheCounts: { hits: s.hits ?? [], misses: s.misses ?? [] } } : {}),
      });
    }

    return {
      mode: quick ? 'quick' : 'full',
      startedAt: new Date(started).toISOString(),
      seconds: (Date.now() - started) / 1000,
      repeats,
      importCosts,
      startup: { plain: summarize(startupPlain), withHook: summarize(startupHook) },
      modules: moduleResults,
      workloads,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function last(values: number[] | undefined): string {
  const value = values?.[values.length - 1];
  return value === undefined ? '–' : value.toFixed(1);
}

export type { CorpusModule };

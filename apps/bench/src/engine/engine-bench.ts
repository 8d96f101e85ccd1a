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

/** The artifact tiers measured: the default first. */
export const TIERS = ['hot', 'full'] as const;
export type Tier = (typeof TIERS)[number];

export interface ModuleResult {
  name: string;
  /** Which artifacts the cache held: `hot` (the default: code saved by the workload's runs) or `full` (every function). */
  tier: Tier;
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
  /** The same with `WASM_CACHE_ARTIFACT_TIER=full` and a cache of full artifacts. */
  cachedFullFirst: Summary;
  cachedFullRest: Summary;
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
  const cacheDirectories: Record<Tier, string> = { hot: path.join(scratch, 'cache-hot'), full: path.join(scratch, 'cache-full') };
  const cacheDirectory = cacheDirectories.hot;
  for (const directory of Object.values(cacheDirectories)) mkdirSync(directory, { recursive: true });
  const registerUrl = import.meta.resolve('@cache/engine/register');
  log(`@cache/engine benchmark (${quick ? 'quick' : 'full'}): ${modules.map((m) => m.name).join(', ')}; repeats ${JSON.stringify(repeats)}`);

  try {
    const cachedOptions = (m: CorpusModule, tier: Tier) => ({
      nodeArgs: m.workload?.mode === 'spawned-child+preload' ? [] : ['--import', registerUrl],
      env: {
        BENCH_USE_CACHE: '1',
        WASM_CACHE_DIRECTORY: cacheDirectories[tier],
        WASM_CACHE_ARTIFACT_TIER: tier,
        ...(m.workload?.mode === 'hook+preload' ? { WASM_CACHE_PRELOAD: m.wasmPath } : {}),
      },
      timeoutMs: 600_000,
    });

    // 1. Warm the caches once per module and keep each artifact's payload for the floor. Full: a miss
    // and the background producer. Hot: the module's real workload, run with the cache three times
    // (the first saves what it made hot, later ones add what they make hot).
    const prepared = new Map<string, PrepareOut & { payloadPath: string }>();
    const preparedKey = (name: string, tier: Tier): string => `${name}|${tier}`;
    for (const m of modules) {
      for (const tier of TIERS) {
        if (tier === 'hot') {
          if (!m.workload) continue;
          for (let i = 0; i < 3; i++) await runChild<WorkloadOut>(m.workload.script, [], cachedOptions(m, 'hot'));
        }
        const payloadPath = path.join(scratch, `${m.name.replace(/[^a-z0-9]+/gi, '_')}.${tier}.payload`);
        const out = await runChild<PrepareOut>('prepare.mjs', [m.wasmPath, cacheDirectories[tier], payloadPath, tier], { timeoutMs: 600_000 });
        if (!out.cached) throw new Error(`${m.name}: the ${tier} cache was not warmed`);
        prepared.set(preparedKey(m.name, tier), { ...out, payloadPath });
        log(`  warmed ${m.name} (${tier}): artifact ${(out.artifactBytes / 1e6).toFixed(1)} MB${tier === 'full' ? `, production ${out.productionMs.toFixed(0)} ms` : ''}`);
      }
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
        push(m.name, 'plain', (await runChild<MsOut>('plain-compile.mjs', [m.wasmPath])).ms);
        for (const tier of TIERS) {
          const prep = prepared.get(preparedKey(m.name, tier));
          if (!prep) continue;
          const key = preparedKey(m.name, tier);
          const f = flags.get(key) ?? { allHits: true, allAccepted: true };
          const load = await runChild<LoadOut>('cache-load.mjs', [m.wasmPath, cacheDirectories[tier], tier]);
          if (load.hits !== 1 || load.misses !== 0) f.allHits = false;
          push(key, 'load', load.compileMs);
          push(key, 'loadWithEngine', load.totalMs);
          push(key, 'engineLoadMs', load.engineLoadMs);
          const floor = await runChild<FloorOut>('floor.mjs', [m.wasmPath, prep.payloadPath]);
          if (!floor.acceptedByV8) f.allAccepted = false;
          push(key, 'floor', floor.totalMs);
          push(key, 'floorRead', floor.readMs);
          push(key, 'floorDeserialize', floor.deserializeMs);
          const breakdown = await runChild<BreakdownOut>('load-breakdown.mjs', [m.wasmPath, cacheDirectories[tier], tier]);
          for (const [name, value] of Object.entries(breakdown)) if (typeof value === 'number') push(key, `breakdown.${name}`, value);
          flags.set(key, f);
          const s = samples.get(key) ?? {};
          log(`  [${r + 1}/${repeats.compile}] ${m.name} (${tier}): load ${last(s.load)} | floor ${last(s.floor)}`);
        }
        if (r < repeats.optimizing) {
          push(m.name, 'optimizing', (await runChild<MsOut>('plain-compile.mjs', [m.wasmPath], { nodeArgs: OPTIMIZING_FLAGS, timeoutMs: 600_000 })).ms);
        }
        const s = samples.get(m.name) ?? {};
        log(`  [${r + 1}/${repeats.compile}] ${m.name}: plain ${last(s.plain)}${r < repeats.optimizing ? ` | optimizing ${last(s.optimizing)}` : ''}`);
      }
    }
    const moduleResults: ModuleResult[] = modules.flatMap((m) => TIERS.filter((tier) => prepared.has(preparedKey(m.name, tier))).map((tier) => {
      const key = preparedKey(m.name, tier);
      const common = samples.get(m.name) ?? {};
      const s: Record<string, number[]> = { ...(samples.get(key) ?? {}), plain: common.plain ?? [], optimizing: common.optimizing ?? [] };
      const prep = prepared.get(key);
      const breakdown: Record<string, Summary> = {};
      for (const [key, values] of Object.entries(s)) if (key.startsWith('breakdown.')) breakdown[key.slice('breakdown.'.length)] = summarize(values);
      const f = flags.get(key) ?? { allHits: false, allAccepted: false };
      return {
        name: m.name,
        tier,
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
    }));

    // 4. Workloads, with and without the cache (warm: the same cache directory).
    const workloads: WorkloadResult[] = [];
    for (const m of modules) {
      if (!m.workload) continue;
      const { script } = m.workload;
      const optionsOf = (kind: 'plain' | 'cached' | 'cachedFull') =>
        kind === 'plain' ? { timeoutMs: 600_000 } : cachedOptions(m, kind === 'cached' ? 'hot' : 'full');
      // One untimed run of each first (page cache, any artifact the hook still lacks); not in --quick.
      if (!quick) {
        for (const kind of ['plain', 'cached', 'cachedFull'] as const) await runChild<WorkloadOut>(script, [], optionsOf(kind));
      }
      const s: Record<string, number[]> = { plainFirst: [], cachedFirst: [], cachedFullFirst: [], plainRest: [], cachedRest: [], cachedFullRest: [], hits: [], misses: [] };
      for (let r = 0; r < repeats.workload; r++) {
        // Rotate which goes first, so a drift in machine load does not favour one.
        const kinds = ['plain', 'cached', 'cachedFull'] as const;
        const order = kinds.map((_, i) => kinds[(i + r) % kinds.length] ?? 'plain');
        for (const kind of order) {
          const out = await runChild<WorkloadOut>(script, [], optionsOf(kind));
          s[`${kind}First`]?.push(out.firstResultMs);
          s[`${kind}Rest`]?.push(out.restMs);
          if (kind === 'cached' && out.hits !== undefined) {
            s.hits?.push(out.hits);
            s.misses?.push(out.misses ?? 0);
          }
        }
        log(`  [${r + 1}/${repeats.workload}] workload ${m.name}: first ${last(s.plainFirst)} → ${last(s.cachedFirst)} (full ${last(s.cachedFullFirst)}), rest ${last(s.plainRest)} → ${last(s.cachedRest)} (full ${last(s.cachedFullRest)})`);
      }
      workloads.push({
        name: m.name,
        description: m.workload.description,
        mode: m.workload.mode,
        plainFirst: summarize(s.plainFirst ?? []),
        cachedFirst: summarize(s.cachedFirst ?? []),
        plainRest: summarize(s.plainRest ?? []),
        cachedRest: summarize(s.cachedRest ?? []),
        cachedFullFirst: summarize(s.cachedFullFirst ?? []),
        cachedFullRest: summarize(s.cachedFullRest ?? []),
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

import type { EngineBenchResult } from '../engine/engine-bench.js';
import type { StoreResult } from '../store/store-bench.js';
import { machineMarkdown, type MachineInfo } from './machine.js';
import { formatMs, formatRatio, formatSummary } from './stats.js';
import type { TargetCheck } from './targets.js';

const MB = (bytes: number): string => (bytes / 1e6).toFixed(1);

export function engineMarkdown(engine: EngineBenchResult, targets: TargetCheck[]): string {
  const lines: string[] = [];
  lines.push(`Each cell: median [min–max] in ms over fresh processes (${engine.repeats.compile} repeats; optimizing compile ${engine.repeats.optimizing}; workloads ${engine.repeats.workload}), all measured in this run, interleaved.`);
  lines.push('');
  lines.push('### Compile and load');
  lines.push('');
  lines.push('| module | tier | wire MB | artifact MB | plain compile | optimizing compile | cache load | cache load + `new Engine` | floor | optimizing / load | load / floor |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of engine.modules) {
    lines.push(
      `| ${m.name} ${m.version} | ${m.tier} | ${MB(m.wireBytes)} | ${MB(m.artifactBytes)} | ${formatSummary(m.plain)} | ${formatSummary(m.optimizing)} | ${formatSummary(m.load)} | ${formatSummary(m.loadWithEngine)} | ${formatSummary(m.floor)} | ${formatRatio(m.optimizing.median / m.load.median)} | ${formatRatio(m.load.median / m.floor.median)} |`,
    );
  }
  lines.push('');
  lines.push('- tier: what the cache held. `hot` (the default): the code V8 optimized while the module’s workload ran, saved by three warm-up runs of it with the cache. `full`: every function compiled by TurboFan by the background producer (`WASM_CACHE_ARTIFACT_TIER=full`). The floor of each row loads that row’s artifact.');
  lines.push('- plain compile: `await WebAssembly.compile(bytes)`, V8 defaults (lazy; Liftoff first).');
  lines.push('- optimizing compile: the same with `--no-liftoff --no-wasm-lazy-compilation` (every function by TurboFan, what a full artifact holds).');
  lines.push('- cache load: `await engine.compile(bytes)` in a fresh process on a warm cache (`stats().hits === 1` checked every time); `+ new Engine` adds the engine construction. Package imports are not timed (see below).');
  lines.push('- floor: `fs.readFile(payload)` + `@cache/v8` `deserialize(payload, wire)` — V8’s serialized code from a plain file, no store, no checks (`acceptedByV8` checked every time).');
  lines.push('');
  lines.push('### Where a cache load’s time goes (steps run one by one in a fresh process, medians, ms)');
  lines.push('');
  const steps = ['fingerprintMs', 'storeOpenMs', 'moduleHashMs', 'storeReadMs', 'verifyMs', 'v8Ms', 'totalMs'];
  lines.push(`| module | tier | ${steps.map((s) => s.replace(/Ms$/, '')).join(' | ')} | floor: read | floor: V8 |`);
  lines.push(`|---|---|${steps.map(() => '---:').join('|')}|---:|---:|`);
  for (const m of engine.modules) {
    lines.push(`| ${m.name} | ${m.tier} | ${steps.map((s) => formatMs(m.breakdown[s]?.median ?? Number.NaN)).join(' | ')} | ${formatMs(m.floorRead.median)} | ${formatMs(m.floorDeserialize.median)} |`);
  }
  lines.push('');
  lines.push('fingerprint: the engine fingerprint (remembered in the cache folder by `v8.cachedDataVersionTag()`; else V8 tiers up a probe module); moduleHash: the lookup id (`lookupId`) and the module hash (`moduleHash`: SHA-256, of its 4 MiB pieces on every thread above 4 MiB); storeRead: the store’s `get` of the artifact (the engine runs it while it hashes the module, so on a load the two overlap); verify: `decodeArtifact` (the artifact’s checksum, checked against the CRC-32 the store’s read computed, as the engine does) + `checkArtifactBelongs`; v8: `deserialize`.');
  lines.push('');
  lines.push('### Workloads, with and without the cache');
  lines.push('');
  lines.push('| workload | how the cache is used | first result: plain | first result: cached | cached / plain | first result: cached, full tier | rest: plain | rest: cached | rest speed-up | rest: cached, full tier | rest speed-up, full tier |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const w of engine.workloads) {
    lines.push(
      `| ${w.name} | ${w.mode} | ${formatSummary(w.plainFirst)} | ${formatSummary(w.cachedFirst)} | ${formatRatio(w.cachedFirst.median / w.plainFirst.median)} | ${formatSummary(w.cachedFullFirst)} | ${formatSummary(w.plainRest)} | ${formatSummary(w.cachedRest)} | ${formatRatio(w.plainRest.median / w.cachedRest.median)} | ${formatSummary(w.cachedFullRest)} | ${formatRatio(w.plainRest.median / w.cachedFullRest.median)} |`,
    );
  }
  lines.push('');
  for (const w of engine.workloads) {
    const counts = w.cacheCounts ? ` Hook counters in the cached runs: hits ${w.cacheCounts.hits.join(',')}, misses ${w.cacheCounts.misses.join(',')}.` : '';
    lines.push(`- ${w.name}: ${w.description}.${counts}`);
  }
  lines.push('- cached: the default configuration (hot tier); full tier: the same with `WASM_CACHE_ARTIFACT_TIER=full` over a cache of full artifacts.');
  lines.push('- first result: ms from process start (`performance.now()`, so Node’s boot, the `--import` hook and any preload are included) to the first result; rest: the remainder of the workload.');
  lines.push('- hook: `node --import @cache/engine/register` with `WASM_CACHE_DIRECTORY`; hook+preload: also `WASM_CACHE_PRELOAD=<wasm>` (the library compiles synchronously); spawned-child+preload: esbuild’s service child gets both through `NODE_OPTIONS`. Plain: the same script under plain `node`.');
  lines.push('');
  lines.push('### Fixed costs');
  lines.push('');
  lines.push('| what | median [min–max] ms |');
  lines.push('|---|---:|');
  for (const [specifier, summary] of Object.entries(engine.importCosts)) lines.push(`| \`await import('${specifier}')\` in a fresh process | ${formatSummary(summary)} |`);
  lines.push(`| empty script, process start → first line, plain \`node\` | ${formatSummary(engine.startup.plain)} |`);
  lines.push(`| empty script, process start → first line, \`node --import @cache/engine/register\` | ${formatSummary(engine.startup.withHook)} |`);
  lines.push('');
  lines.push('### Targets');
  lines.push('');
  lines.push('| target | subject | measured | threshold | result | detail |');
  lines.push('|---|---|---:|---|---|---|');
  for (const t of targets) lines.push(`| ${t.target} | ${t.subject} | ${t.threshold === 'all' ? (t.pass ? 'all' : 'no') : formatRatio(t.value)} | ${t.threshold} | ${t.pass ? '**PASS**' : '**FAIL**'} | ${t.detail} |`);
  return lines.join('\n');
}

export function fullMarkdown(args: { title: string; machine: MachineInfo; engine?: EngineBenchResult; targets?: TargetCheck[]; store?: StoreResult; startedAt: string; mode: string }): string {
  const parts = [`# ${args.title}`, '', `Run ${args.startedAt}, mode: ${args.mode}.`, '', '## Machine', '', machineMarkdown(args.machine), ''];
  if (args.engine && args.targets) {
    const passed = args.targets.filter((t) => t.pass).length;
    parts.push(`## @cache/engine: real modules from npm (${passed}/${args.targets.length} target checks pass, ${args.engine.seconds.toFixed(0)} s)`, '', engineMarkdown(args.engine, args.targets), '');
  }
  if (args.store) {
    parts.push(`## @cache/store vs cacache and lru-cache (${args.store.seconds.toFixed(0)} s)`, '', args.store.markdown, '');
  }
  return parts.join('\n');
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concurrency } from './concurrency.js';
import { corruption } from './corruption.js';
import { crashSafety } from './crash-safety.js';
import { faults } from './faults.js';
import { violations, type Figure } from './figures.js';
import { fuzz } from './fuzz.js';
import { Random } from './random.js';
import { redisTier } from './redis.js';

/** Sizes of each section, short (inside the test command) and full (`pnpm torture`). */
const MODES = {
  short: { kills: 20, corruptionCases: 16, processes: 8, seconds: 4, fuzzInputs: 2_000 },
  full: { kills: 300, corruptionCases: 400, processes: 8, seconds: 60, fuzzInputs: 20_000 },
} as const;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const mode = args.includes('--full') ? 'full' : 'short';
  const seedArg = args.indexOf('--seed');
  const seed = seedArg >= 0 ? Number(args[seedArg + 1]) : Date.now() % 1_000_000;
  const sizes = MODES[mode];
  const random = new Random(seed);
  console.log(`torture (${mode}), seed ${seed}: reproduce with --seed ${seed}`);
  const started = performance.now();
  const figures: Figure[] = [];
  const sections: Array<[string, () => Promise<{ all: Figure[] }>]> = [
    ['crash safety', () => crashSafety(random, sizes.kills)],
    ['corruption', () => corruption(random, sizes.corruptionCases)],
    ['concurrency', () => concurrency(sizes.processes, sizes.seconds)],
    ['faults', () => faults()],
    ['bad input', () => fuzz(sizes.fuzzInputs, seed)],
    ['redis tier', () => redisTier(sizes.processes, sizes.seconds)],
  ];
  // --only=faults,corruption runs those sections alone (to reproduce one failure quickly).
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
  const unknown = only?.filter((name) => !sections.some(([section]) => section === name));
  if (unknown?.length) throw new Error(`--only: no section named ${unknown.map((n) => `"${n}"`).join(', ')} (sections: ${sections.map(([n]) => n).join(', ')})`);
  for (const [name, run] of sections) {
    if (only && !only.includes(name)) continue;
    const sectionStarted = performance.now();
    try {
      const result = await run();
      figures.push(...result.all);
    } catch (error) {
      console.error(`${name} failed to run:`, error);
      figures.push({ section: name, name: 'the section ran to the end', value: 0, mustBe: 1 });
    }
    console.log(`  ${name}: ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s`);
  }
  const broken = violations(figures);
  const lines = ['| section | figure | value | required |', '|---|---|---|---|'];
  for (const f of figures) lines.push(`| ${f.section} | ${f.name} | ${f.value} | ${f.mustBe === undefined ? '' : f.value === f.mustBe ? `${f.mustBe} ✓` : `${f.mustBe} ✗`} |`);
  const table = lines.join('\n');
  console.log(`\n${table}\n`);
  const report = {
    mode,
    seed,
    date: new Date().toISOString(),
    seconds: Math.round((performance.now() - started) / 1000),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform}-${process.arch}` },
    figures,
  };
  if (mode === 'full') {
    const results = fileURLToPath(new URL('../results/', import.meta.url));
    mkdirSync(results, { recursive: true });
    writeFileSync(join(results, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(results, 'latest.md'), `# Torture run ${report.date}\n\n${mode} mode, seed ${seed}, ${report.seconds} s, ${report.machine.cpu} (${report.machine.cores} cores), Node ${report.machine.node}\n\n${table}\n`);
  }
  const invariants = figures.filter((f) => f.mustBe !== undefined).length;
  for (const f of broken) console.error(`VIOLATED: ${f.section}: ${f.name} = ${f.value}, must be ${f.mustBe}`);
  console.log(`${invariants - broken.length} passed, ${broken.length} failed`);
  process.exitCode = broken.length === 0 ? 0 : 1;
}

await main();

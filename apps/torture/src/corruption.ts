import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeArtifact, encodeArtifact, lookupId } from '@cache/engine';
import { decodeEntry, hashKey, Layout } from '@cache/store';
import { lastJson, runWorker, scratch, writeModules } from './children.js';
import { Figures } from './figures.js';
import type { Random } from './random.js';

type Damage = (bytes: Uint8Array, random: Random, context: { foreign: Uint8Array }) => Uint8Array;

/** Kinds of damage, each applied at random offsets and sizes. */
const DAMAGES: Record<string, Damage> = {
  'bit flips': (b, r) => {
    const out = new Uint8Array(b);
    for (let i = r.int(1, 8); i > 0; i -= 1) {
      const at = r.int(0, out.length - 1);
      out[at] = (out[at] ?? 0) ^ (1 << r.int(0, 7));
    }
    return out;
  },
  truncation: (b, r) => b.slice(0, r.int(0, b.length - 1)),
  appended: (b, r) => {
    const out = new Uint8Array(b.length + r.int(1, 5000));
    out.set(b);
    out.set(r.bytes(out.length - b.length), b.length);
    return out;
  },
  'zeroed page': (b, r) => {
    const out = new Uint8Array(b);
    const at = r.int(0, Math.max(0, out.length - 4096));
    out.fill(0, at, at + 4096);
    return out;
  },
  'swapped with another module': (_b, _r, c) => c.foreign,
};

/**
 * Corruption: every kind of damage at random offsets, to entries on disk and
 * to artifacts handed to the engine through a store that does not verify
 * content, plus stale fingerprints. Each case runs in a fresh process: a crash
 * is counted, not fatal to the suite. Damaged code must never reach V8.
 */
export async function corruption(random: Random, cases: number): Promise<Figures> {
  const figures = new Figures('corruption');
  const work = scratch('corruption');
  const [wasm, other] = writeModules(work, [200, 220]) as [string, string];
  const cacheDir = join(work, 'disk');
  const rawDir = join(work, 'raw');
  const seed = lastJson<{ result: number }>((await runWorker('engine-run.mjs', [cacheDir, wasm, '--idle'])).stdout);
  const expected = seed?.result;
  await runWorker('engine-run.mjs', [cacheDir, other, '--idle']);
  await runWorker('engine-run.mjs', [cacheDir, wasm, '--idle', '--raw-store', rawDir]);
  await runWorker('engine-run.mjs', [cacheDir, other, '--idle', '--raw-store', rawDir]);

  const namespace = readdirSync(cacheDir).find((name) => /^[0-9a-f]{24}$/.test(name)) as string;
  const layout = new Layout(cacheDir, namespace);
  const key = `${lookupId(readFileSync(wasm))}.full`;
  const entryFile = layout.entry(hashKey(key));
  const goodEntry = new Uint8Array(readFileSync(entryFile));
  const foreignEntry = new Uint8Array(readFileSync(layout.entry(hashKey(`${lookupId(readFileSync(other))}.full`))));
  const rawFile = join(rawDir, readdirSync(rawDir).find((name) => name.endsWith(encodeURIComponent(key))) as string);
  const goodArtifact = new Uint8Array(readFileSync(rawFile));
  const foreignArtifact = new Uint8Array(readFileSync(join(rawDir, readdirSync(rawDir).find((name) => !name.endsWith(encodeURIComponent(key))) as string)));

  let reachedV8 = 0;
  let crashed = 0;
  let hung = 0;
  let wrong = 0;
  let refused = 0;
  let benign = 0;
  const kinds = Object.keys(DAMAGES);
  for (let i = 0; i < cases; i += 1) {
    const onDisk = i % 2 === 0;
    const kind = random.pick([...kinds, ...(onDisk ? [] : ['stale fingerprint'])]);
    let damaged: Uint8Array;
    if (kind === 'stale fingerprint') {
      damaged = encodeArtifact({ ...decodeArtifact(goodArtifact), fingerprintId: Buffer.from(random.bytes(12)).toString('hex') });
    } else {
      const source = onDisk ? goodEntry : goodArtifact;
      damaged = (DAMAGES[kind] as Damage)(source, random, { foreign: onDisk ? foreignEntry : foreignArtifact });
    }
    // Damage that leaves the value intact (e.g. an unused header byte) may be served: it is not damage to the code.
    const stillIntact = onDisk ? await intactEntry(damaged, key, goodArtifact) : Buffer.compare(Buffer.from(damaged), Buffer.from(goodArtifact)) === 0;
    writeFileSync(onDisk ? entryFile : rawFile, damaged);
    const run = await runWorker('engine-run.mjs', onDisk ? [cacheDir, wasm, '--idle'] : [cacheDir, wasm, '--idle', '--raw-store', rawDir], { timeoutMs: 60_000 });
    const report = lastJson<{ outcomes: string[]; result: number }>(run.stdout);
    if (run.timedOut) hung += 1;
    else if (run.signal || run.code !== 0 || !report) crashed += 1;
    else {
      if (report.outcomes.includes('hit')) {
        if (stillIntact) benign += 1;
        else reachedV8 += 1;
      } else refused += 1;
      if (report.result !== expected) wrong += 1;
    }
    // Put the good bytes back for the next case (the engine replaced the damaged entry with a fresh one anyway).
    writeFileSync(onDisk ? entryFile : rawFile, onDisk ? goodEntry : goodArtifact);
  }
  figures.count('damaged entries and artifacts tried', cases);
  figures.count('refused before V8 (miss, removed, recompiled)', refused);
  figures.count('damage that left the code intact, served', benign);
  figures.require('damaged code that reached V8', reachedV8, 0);
  figures.require('processes crashed', crashed, 0);
  figures.require('processes hung', hung, 0);
  figures.require('wrong results', wrong, 0);
  return figures;
}

/** Whether a damaged entry file still decodes to exactly the good artifact (then serving it is correct). */
async function intactEntry(entry: Uint8Array, key: string, goodArtifact: Uint8Array): Promise<boolean> {
  const decoded = await decodeEntry(entry, key, undefined);
  return decoded.ok && Buffer.compare(Buffer.from(decoded.value), Buffer.from(goodArtifact)) === 0;
}

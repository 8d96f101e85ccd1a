import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INSTANCE_STATS_PATTERN, TEMP_PATTERN } from '../src/disk/layout.js';
import { Layout, readDirectoryStats } from '../src/index.js';

describe('statistics of a process that exits without closing its store', () => {
  it('are written at exit and readable by another process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exit-stats-'));
    execFileSync(process.execPath, [join(import.meta.dirname, 'fixtures', 'exit-without-close.mjs'), dir]);
    const stats = await readDirectoryStats(dir);
    expect(stats.total).toMatchObject({ hits: 1, misses: 1, writes: 1, bytesRead: 3, bytesWritten: 3 });
    expect(readdirSync(join(dir, 'ns', 'v1', 'tmp')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    // Its file is named the way cleanup recognizes (a dead pid's file is folded into the total and removed).
    const files = readdirSync(join(dir, 'ns', 'v1', 'stats')).filter((name) => name.startsWith('stats-'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(INSTANCE_STATS_PATTERN);
    // The folder the exit-time write made is private, like every folder of the store.
    expect(statSync(join(dir, 'ns', 'v1', 'stats')).mode & 0o777).toBe(0o700);
  });

  it('temporary names (made without node:crypto, as a process exits) are ones cleanup recognizes, and never repeat in a process', () => {
    const layout = new Layout(mkdtempSync(join(tmpdir(), 'temp-names-')), 'ns');
    const names = Array.from({ length: 10_000 }, () => basename(layout.temp('usage.json')));
    expect(new Set(names).size).toBe(names.length);
    for (const name of names.slice(0, 100)) expect(TEMP_PATTERN.exec(name)?.[2]).toBe(String(process.pid));
  });
});

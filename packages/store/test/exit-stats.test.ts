import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDirectoryStats } from '../src/index.js';

describe('statistics of a process that exits without closing its store', () => {
  it('are written at exit and readable by another process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exit-stats-'));
    execFileSync(process.execPath, [join(import.meta.dirname, 'fixtures', 'exit-without-close.mjs'), dir]);
    const stats = await readDirectoryStats(dir);
    expect(stats.total).toMatchObject({ hits: 1, misses: 1, writes: 1, bytesRead: 3, bytesWritten: 3 });
    expect(readdirSync(join(dir, 'ns', 'v1', 'tmp')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildWasmModule } from '@cache/wasm-fixtures';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('wasm-cache --dir with a relative path (built binary)', () => {
  it('is the folder below the current one, for compile, run and every cache command', async () => {
    const cwd = tempDir('cli-relative-dir-');
    writeFileSync(join(cwd, 'module.wasm'), buildWasmModule({ functions: 20 }));
    const absolute = join(cwd, 'cache', 'here');
    const dir = ['--dir', join('cache', 'here')];
    const inCwd = (...args: string[]) => cli([...args, ...dir], {}, undefined, cwd);

    // compile waits for the engine's producer, a child process: it was given the absolute directory.
    const compiled = await inCwd('compile', 'module.wasm', '--json');
    expect(compiled.code, compiled.stderr).toBe(0);
    expect(JSON.parse(compiled.stdout)).toMatchObject({ cached: true, directory: absolute });
    const run = await inCwd('run', 'module.wasm', '--invoke', 'run', '3', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'hit' });

    expect(await inCwd('cache', 'path')).toMatchObject({ code: 0, stdout: `${absolute}\n` });
    const stats = await inCwd('cache', 'stats', '--json');
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ directory: absolute });
    const listed = await inCwd('cache', 'ls', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
    const verified = await inCwd('cache', 'verify', '--json');
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ checked: 1 });
    const gc = await inCwd('cache', 'gc', '--json');
    expect(gc.code, gc.stderr).toBe(0);
    expect(JSON.parse(gc.stdout)).toMatchObject({ directory: absolute });
    const cleared = await inCwd('cache', 'clear', '--json');
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(JSON.parse(cleared.stdout)).toMatchObject({ removed: 1 });
    const shown = await inCwd('config', 'show', '--json');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(JSON.stringify(absolute));
  });
});

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { producerExecArgv } from '../src/index.js';
import { nodeOptionsArgs } from '../src/producer/producer-client.js';
import { runChild, tempDir, wasmFile } from './helpers.js';

describe('the flags a producer inherits', () => {
  it('keeps runtime and V8 flags (they are in V8 flag hash)', () => {
    expect(producerExecArgv(['--max-old-space-size=4096', '--stack-size=900', '--no-liftoff', '--expose-gc'])).toEqual([
      '--max-old-space-size=4096',
      '--stack-size=900',
      '--no-liftoff',
      '--expose-gc',
    ]);
  });

  it('drops what decides what a process runs, with the values those flags take', () => {
    expect(
      producerExecArgv([
        '--input-type=module',
        '-e',
        'import("./app.js")',
        '--eval=1',
        '-p',
        '1 + 1',
        '--import',
        '@cache/engine/register',
        '--require=./hook.cjs',
        '-r',
        './other.cjs',
        '--loader',
        'ts-node/esm',
        '--watch',
        '--inspect-brk=9229',
        '--test',
        '--env-file',
        '.env',
        '--stack-size=900',
      ]),
    ).toEqual(['--stack-size=900']);
  });

  it('drops the value a dropped flag takes as its next argument, as NODE_OPTIONS allows (--inspect-port 9231)', () => {
    expect(
      producerExecArgv(['--inspect-port', '9231', '--max-old-space-size=200', '--test-shard', '1/2', '--cpu-prof-dir', '/tmp/prof', '--inspect', '--no-warnings']),
    ).toEqual(['--max-old-space-size=200', '--no-warnings']);
  });
});

describe('NODE_OPTIONS', () => {
  it('is split as Node splits it: at spaces, except in double quotes, where a backslash escapes', () => {
    expect(nodeOptionsArgs('')).toEqual([]);
    expect(nodeOptionsArgs('  --max-old-space-size=4096   --stack-size=900 ')).toEqual(['--max-old-space-size=4096', '--stack-size=900']);
    expect(nodeOptionsArgs('--require "./my hooks/a.cjs" --title="a \\"b\\" c"')).toEqual(['--require', './my hooks/a.cjs', '--title=a "b" c']);
    expect(nodeOptionsArgs('--import ""')).toEqual(['--import', '']);
  });

  it("gives the producer the flags it holds: a full artifact of a process with --max-old-space-size there is usable (it is in V8's flag hash on Node 20 and 22)", async () => {
    const work = tempDir('engine-node-options-');
    const wasm = wasmFile(work, 150);
    const cacheDir = join(work, 'cache');
    const env = { ...process.env, NODE_OPTIONS: '--max-old-space-size=3999 --no-deprecation' };
    const first = await runChild(process.execPath, [cacheDir, wasm.path, '--idle'], [], env);
    expect(first.stats).toMatchObject({ misses: 1, artifactsProduced: 1, producerFailures: 0 });
    expect(first.stderr).not.toMatch(/CACHE_ENGINE_/);
    const second = await runChild(process.execPath, [cacheDir, wasm.path], [], env);
    expect(second.outcomes).toEqual(['hit']);
  });
});

describe('a process started with -e code', () => {
  it('produces its artifact once; the producer does not run the -e code again', async () => {
    const work = tempDir('engine-eval-');
    const wasm = wasmFile(work, 150);
    const cacheDir = join(work, 'cache');
    const engineUrl = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'index.js')).href;
    const code = `
      import { readFileSync } from 'node:fs';
      const { CacheConfig, Config, Engine } = await import(${JSON.stringify(engineUrl)});
      const engine = new Engine(Config.default().withArtifactTier('full').cacheConfig(CacheConfig.default().withDirectory(${JSON.stringify(cacheDir)})));
      await engine.compile(readFileSync(${JSON.stringify(wasm.path)}));
      await engine.idle();
      process.stdout.write(JSON.stringify(engine.stats()));
      await engine.close();`;
    const stats = await new Promise<{ artifactsProduced: number; misses: number }>((resolve, reject) => {
      execFile(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(stderr)) : resolve(JSON.parse(stdout) as { artifactsProduced: number; misses: number }),
      );
    });
    expect(stats).toMatchObject({ misses: 1, artifactsProduced: 1 });
    expect((await runChild(process.execPath, [cacheDir, wasm.path])).outcomes).toEqual(['hit']);
  });
});

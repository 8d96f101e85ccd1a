/**
 * An application (or a library of its) that wraps `WebAssembly.compileStreaming`
 * after the `--import` hook, and calls the function it wrapped a tick later
 * (`async (source) => original(await source)`, to take a promise of a Response
 * as well). The engine loads cached code through `@cache/v8`'s `deserialize`,
 * which hands V8 a request object through `compileStreaming`; it must call V8's
 * own function, in the same call, not whatever the global is by then: through
 * the wrapper, V8 bound Node's streaming callback (restored meanwhile), which
 * rejected the request, and every hit was counted `invalid` and compiled again.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineStats } from '../src/index.js';
import { tempDir, wasmFile } from './helpers.js';

const app = `
import { readFileSync } from 'node:fs';
// Wrapped first, before anything loads @cache/v8 (the hook loads it at the first WebAssembly call).
const original = WebAssembly.compileStreaming;
WebAssembly.compileStreaming = async function compileStreaming(source, ...rest) {
  return original.call(WebAssembly, await source, ...rest);
};
const hook = await import('@cache/engine/register');
const { compileChannel } = await import('@cache/engine');
const [file, idle] = process.argv.slice(1);
const outcomes = [];
compileChannel.subscribe((message) => outcomes.push(message.outcome));
const module = await WebAssembly.compile(readFileSync(file));
const result = new WebAssembly.Instance(module, {}).exports.run(7);
if (idle === '--idle') await hook.registeredEngine?.idle();
process.stdout.write(JSON.stringify({ result, outcomes, stats: hook.registeredEngine?.stats() ?? null }));
`;

interface Report {
  result: number;
  outcomes: string[];
  stats: EngineStats | null;
}

function runApp(args: string[], env: Record<string, string>): Promise<Report> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', '@cache/engine/register', '--input-type=module', '-e', app, ...args],
      { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', env: { ...process.env, ...env } },
      (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(JSON.parse(stdout) as Report)),
    );
  });
}

describe('the hook with a WebAssembly.compileStreaming wrapped after it', () => {
  it("loads cached code through V8's own compileStreaming: a hit, nothing counted invalid", { timeout: 60_000 }, async () => {
    const work = tempDir('engine-wrapped-streaming-');
    const wasm = wasmFile(work, 120);
    const env = { WASM_CACHE_DIRECTORY: join(work, 'cache'), WASM_CACHE_ARTIFACT_TIER: 'full' };
    const first = await runApp([wasm.path, '--idle'], env);
    expect(first.outcomes).toEqual(['miss']);
    expect(first.stats?.artifactsProduced).toBeGreaterThanOrEqual(1);
    const second = await runApp([wasm.path], env);
    expect(second.outcomes).toEqual(['hit']);
    expect(second.stats).toMatchObject({ hits: 1, invalid: 0 });
    expect(second.result).toBe(first.result);
  });
});

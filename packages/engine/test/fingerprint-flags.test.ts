/**
 * A process that cannot have a V8 header for serialized code says why at
 * once, before any probe: one that runs with flags that keep V8 from tiering
 * WebAssembly up to TurboFan waited the probe's 2 s for nothing at its first
 * compile (every process, every time), and one without WebAssembly at all
 * (--jitless) was told to look at --liftoff-only.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const script = `
const { engineFingerprint } = await import('@cache/engine');
process.stdout.write(JSON.stringify(await engineFingerprint({ memoDirectory: process.argv[1] })));
`;

function fingerprintWith(flags: string[]): { ok: boolean; reason?: string } {
  const stdout = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script, tempDir('engine-fingerprint-flags-')], {
    cwd: join(import.meta.dirname, '..'),
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as { ok: boolean; reason?: string };
}

describe('engineFingerprint in a process that cannot have one', () => {
  it.each([[['--liftoff-only']], [['--no-wasm-tier-up', '--no-wasm-dynamic-tiering']]])('started with %j: names those flags, without a probe', (flags) => {
    expect(fingerprintWith(flags)).toEqual({ ok: false, reason: `V8 compiles no optimized WebAssembly code in this process, which runs with ${flags.join(' ')}` });
  });

  it('with --jitless: says there is no WebAssembly, not that tiering flags are to blame', () => {
    const result = fingerprintWith(['--jitless']);
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/no WebAssembly/);
    expect(result.reason).not.toMatch(/liftoff/);
  });
});

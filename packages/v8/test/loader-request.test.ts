/**
 * The native streaming callback runs JavaScript of the caller's when it reads
 * and writes the request object (getters, setters, Proxy traps). Whatever that
 * code throws rejects the compileStreaming call (or the installLoader call);
 * nothing ends the process. Before, a throwing setter of `acceptedByV8` (own,
 * inherited or a Proxy's) made a `.Check()` abort it (exit 134). Each case runs
 * in a child of its own (they import dist/: run the package's build first).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildWasmModule } from '@cache/wasm-fixtures';

const childScript = join(resolve(dirname(fileURLToPath(import.meta.url))), 'fixtures', 'request-child.mjs');
const workDir = mkdtempSync(join(tmpdir(), 'cache-v8-request-'));
const wasmFile = join(workDir, 'module.wasm');
writeFileSync(wasmFile, buildWasmModule({ functions: 5 }));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Outcome {
  outcome: 'resolved' | 'rejected' | 'install threw';
  module?: boolean;
  accepted?: boolean;
  message?: string;
}

function runCase(name: string): Outcome {
  const child = spawnSync(process.execPath, [childScript, name, wasmFile], { encoding: 'utf8', timeout: 60_000 });
  expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  return JSON.parse(child.stdout.trim()) as Outcome;
}

describe('a request object whose code throws', () => {
  it.each(['own setter', 'proxy set trap', 'inherited setter, through deserialize()'])(
    'with a throwing %s of acceptedByV8: loads, the result defined as a data property (no setter runs)',
    (name) => {
      expect(runCase(name)).toEqual({ outcome: 'resolved', module: true, accepted: true });
    },
  );

  it.each([
    ['proxy defineProperty trap', 'defineProperty trap says no'],
    ['throwing url getter', 'url getter says no'],
    ['throwing bytes getter', 'bytes getter says no'],
  ])('with a %s: compileStreaming rejects with its error', (name, message) => {
    expect(runCase(name)).toEqual({ outcome: 'rejected', message });
  });

  it('frozen, so acceptedByV8 cannot be defined: compileStreaming rejects with a TypeError saying so', () => {
    expect(runCase('frozen request')).toMatchObject({ outcome: 'rejected', message: expect.stringMatching(/acceptedByV8 could not be set/) as unknown });
  });

  it('with a getter that throws in installLoader: installLoader throws that error', () => {
    expect(runCase('throwing getter at install')).toEqual({ outcome: 'install threw', message: 'install getter says no' });
  });
});

/**
 * End-to-end proofs in fresh node processes: produce optimized code in one
 * process, load it in another with default flags, see V8 reject it under other
 * flags. Runs once per node binary: this process's node plus every binary listed
 * in CACHE_TEST_NODE_BINARIES (colon-separated; see scripts/fetch-node.mjs).
 * The children import dist/: run the package's build first.
 *
 * Only bytes V8 produced in a matching process are ever handed to V8 here.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddonStatus, SerializedHeader } from '../src/index.js';
import { buildWasmModule } from '@cache/wasm-fixtures';

const run = promisify(execFile);
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const childScript = join(packageDir, 'test', 'fixtures', 'child.mjs');

const binaries = [
  process.execPath,
  ...(process.env.CACHE_TEST_NODE_BINARIES ?? '').split(':').filter((path) => path !== ''),
];

interface Produced {
  node: string;
  size: number;
  header: SerializedHeader;
  compileMs: number;
  result: number;
  fingerprint: SerializedHeader | null;
}

interface Consumed {
  node: string;
  acceptedByV8: boolean;
  loadMs: number;
  reserializedSize: number;
  result: number;
  expected: number;
  streamingResult: number;
  fingerprint: SerializedHeader | null;
  status: AddonStatus;
}

async function child<T>(
  binary: string,
  args: string[],
  options: { nodeFlags?: string[]; env?: Record<string, string> } = {},
): Promise<T> {
  const { stdout } = await run(binary, [...(options.nodeFlags ?? []), childScript, ...args], {
    env: { ...process.env, ...options.env },
    timeout: 120_000,
  });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as T;
}

let workDir: string;
let wasmFile: string;

beforeAll(() => {
  if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
    throw new Error('dist/index.js is missing: run the package build before these tests');
  }
  workDir = mkdtempSync(join(tmpdir(), 'cache-v8-test-'));
  wasmFile = join(workDir, 'module.wasm');
  writeFileSync(wasmFile, buildWasmModule({ functions: 600 }));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

const producedBy = new Map<string, { file: string; produced: Produced }>();

describe.each(binaries)('with node %s', (binary) => {
  beforeAll(async () => {
    // Build the addon for this node if this checkout has no build for its ABI.
    const { stdout } = await run(binary, ['-p', 'process.versions.modules + "-" + process.platform + "-" + process.arch']);
    const addon = join(packageDir, 'addon', `node-v${stdout.trim()}`, 'cache_v8.node');
    if (!existsSync(addon)) await run(binary, [join(packageDir, 'scripts', 'build-addon.mjs')], { cwd: packageDir });
    if (!existsSync(addon)) throw new Error(`could not build ${addon} with ${binary}`);
  }, 180_000);

  it('a producer compiles with full TurboFan and serializes non-empty code with a readable header', async () => {
    const file = join(workDir, `serialized-${producedBy.size}.bin`);
    const produced = await child<Produced>(binary, ['produce', wasmFile, file]);
    producedBy.set(binary, { file, produced });
    expect(produced.size).toBeGreaterThan(1000);
    expect(produced.header.magic >>> 16).toBe(0xc0de);
    // The flags were set back before serializing: the header is a default process's.
    expect(produced.header).toEqual(produced.fingerprint);
    console.info(`${produced.node}: optimized compile ${produced.compileMs.toFixed(1)} ms, serialized ${produced.size} bytes`);
  });

  it('a fresh default process loads the code: V8 accepts it, it runs, and it serializes again at once', async () => {
    const { file, produced } = producedBy.get(binary) ?? expect.fail('producer did not run');
    const consumed = await child<Consumed>(binary, ['consume', wasmFile, file]);
    expect(consumed.status.available).toBe(true);
    expect(consumed.acceptedByV8).toBe(true);
    expect(consumed.result).toBe(consumed.expected);
    expect(consumed.result).toBe(produced.result);
    // A default compile would serialize to nothing here: this is V8's loaded code.
    expect(consumed.reserializedSize).toBe(produced.size);
    expect(consumed.fingerprint).toEqual(produced.header);
    // Node's own streaming callback is back: compileStreaming(Response) works.
    expect(consumed.streamingResult).toBe(consumed.expected);
    console.info(`${consumed.node}: load from cache ${consumed.loadMs.toFixed(1)} ms`);
  });

  it("a loaded module's frames in stack traces are named as a compiled module's (wasm://wasm/<hash>), not after the loader", async () => {
    const file = join(workDir, `frame-${producedBy.size}-${binary.length}.bin`);
    const produced = await child<{ frame: string }>(binary, ['produce-frame', file]);
    const consumed = await child<{ acceptedByV8: boolean; loaded: number; frame: string }>(binary, ['consume-frame', file]);
    expect(consumed.acceptedByV8).toBe(true);
    expect(consumed.loaded).toBeGreaterThan(0); // V8's code came from the file: nothing was compiled
    expect(consumed.frame).toMatch(/^at wasm:\/\/wasm\/[0-9a-f]{8}:wasm-function\[1\]:0x[0-9a-f]+$/);
    expect(consumed.frame).toBe(produced.frame);
  });

  it("a module loaded with a URL is named by it in stack frames, as Node names one compiled from a Response", async () => {
    const file = join(workDir, `frame-url-${producedBy.size}-${binary.length}.bin`);
    await child<{ frame: string }>(binary, ['produce-frame', file]);
    const url = 'https://example.com/lib/app.wasm';
    const consumed = await child<{ acceptedByV8: boolean; loaded: number; frame: string }>(binary, ['consume-frame', file, url]);
    expect(consumed.acceptedByV8).toBe(true);
    expect(consumed.loaded).toBeGreaterThan(0);
    expect(consumed.frame).toMatch(/^at https:\/\/example\.com\/lib\/app\.wasm:wasm-function\[1\]:0x[0-9a-f]+$/);
  });

  it('loads in a worker thread too (context-aware addon)', async () => {
    const { file, produced } = producedBy.get(binary) ?? expect.fail('producer did not run');
    const consumed = await child<Consumed>(binary, ['worker', wasmFile, file]);
    expect(consumed.acceptedByV8).toBe(true);
    expect(consumed.reserializedSize).toBe(produced.size);
    expect(consumed.result).toBe(consumed.expected);
    expect(consumed.streamingResult).toBe(consumed.expected);
  });

  it.each([['--stack-size=2000'], ['--no-liftoff']])(
    'a process started with %s gets a header mismatch and still a working module',
    async (flag) => {
      const { file, produced } = producedBy.get(binary) ?? expect.fail('producer did not run');
      const consumed = await child<Consumed>(binary, ['consume', wasmFile, file], { nodeFlags: [flag] });
      expect(consumed.acceptedByV8).toBe(false);
      expect(consumed.result).toBe(consumed.expected);
      expect(consumed.streamingResult).toBe(consumed.expected);
      expect(consumed.fingerprint?.flagHash).not.toBe(produced.header.flagHash);
      expect(consumed.fingerprint?.versionHash).toBe(produced.header.versionHash);
    },
  );

  it('reports the addon unavailable, with the reason, when the .node file is absent', async () => {
    const missing = join(workDir, 'no-such-dir', 'cache_v8.node');
    const { status, loaded } = await child<{ status: AddonStatus; loaded: boolean }>(binary, ['status'], {
      env: { CACHE_V8_ADDON_PATH: missing },
    });
    expect(loaded).toBe(false);
    expect(status).toMatchObject({ available: false, code: 'not-built' });
    expect(status.available ? '' : status.reason).toContain(missing);
  });
});

if (binaries.length > 1) describe('across node versions', () => {
  it('code made by one version is rejected by the header check of another, which compiles normally', async () => {
    const [first, second] = binaries as [string, string];
    const { file } = producedBy.get(first) ?? expect.fail('producer did not run');
    const consumed = await child<Consumed>(second, ['consume', wasmFile, file]);
    expect(consumed.acceptedByV8).toBe(false);
    expect(consumed.result).toBe(consumed.expected);
  });
});

describe('unavailable reasons (this node)', () => {
  async function statusWith(addonPath: string): Promise<AddonStatus> {
    const { status } = await child<{ status: AddonStatus }>(process.execPath, ['status'], {
      env: { CACHE_V8_ADDON_PATH: addonPath },
    });
    return status;
  }

  it('refuses the addon when Node\'s streaming callback symbol was not found', async () => {
    // A stand-in module shaped like the addon, as a build without the symbol would load.
    const fake = join(workDir, 'no-symbol.cjs');
    writeFileSync(
      fake,
      'module.exports = { serialize() {}, installLoader() {}, restoreNodeStreaming() { return false; },' +
        ' canRestoreNodeStreaming: false, nodeStreamingSymbol: "_ZN4node12wasm_web_api..." };',
    );
    const status = await statusWith(fake);
    expect(status).toMatchObject({ available: false, code: 'streaming-symbol-missing' });
    expect(status.available ? '' : status.reason).toContain('would break WebAssembly.compileStreaming');
  });

  it('reports load-failed, with the loader\'s message, for a file that is not a loadable addon', async () => {
    const broken = join(workDir, 'broken.node');
    writeFileSync(broken, Buffer.from('this is not a shared object'));
    const status = await statusWith(broken);
    expect(status).toMatchObject({ available: false, code: 'load-failed' });
    expect(status.available ? '' : status.reason).toMatch(/broken\.node/);
  });
});

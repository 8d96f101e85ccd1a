import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorLine } from './error-line.js';
import { cli, tempDir } from './helpers.js';
import { invokeModule, wasiModule } from './small-modules.js';

describe("wasm-cache exit codes and errors' stable codes (the README's table; built binary)", () => {
  const dir = tempDir('cli-exit-codes-');
  const env = { WASM_CACHE_DIRECTORY: join(dir, 'cache') };
  const write = (name: string, contents: string | Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, contents);
    return path;
  };

  it('an error with a stable code says it, the configuration errors too: (CODE) on its first line', async () => {
    const invalid = await cli(['config', 'validate', write('invalid.toml', '[cache]\ndirectroy = "/x"\n')]);
    expect(invalid.code).toBe(3);
    expect(invalid.stderr.split('\n')[0]).toBe(`error: Invalid cache configuration in ${join(dir, 'invalid.toml')} (1 problem) (ERR_CACHE_CONFIG_INVALID):`);
    const syntax = await cli(['config', 'validate', write('syntax.toml', '[cache\n')]);
    expect(syntax.code).toBe(3);
    expect(errorLine(syntax)).toMatch(/^error: .*syntax\.toml:1:\d+: invalid TOML: .* \(ERR_CACHE_TOML_SYNTAX\)$/);
    const missing = await cli(['config', 'validate', join(dir, 'missing.toml')]);
    expect(missing.code).toBe(4);
    expect(errorLine(missing)).toMatch(/^error: Cannot read cache configuration file .*missing\.toml: ENOENT.* \(ERR_CACHE_CONFIG_FILE_ACCESS\)$/);
    const exists = await cli(['config', 'new', write('exists.toml', '')]);
    expect(exists.code).toBe(1);
    expect(errorLine(exists)).toBe(`error: Configuration file ${join(dir, 'exists.toml')} already exists; refusing to overwrite it (ERR_CACHE_CONFIG_FILE_EXISTS)`);
    const variable = await cli(['cache', 'path'], { WASM_CACHE_CLEANUP_INTERVAL: '10' });
    expect(variable.code).toBe(3);
    expect(variable.stderr).toMatch(/^error: Invalid cache configuration.* \(ERR_CACHE_CONFIG_INVALID\):\n/);
  });

  it('0 success, 1 failed, 2 usage, 3 configuration, 4 a file named on the command line; run: a WASI program\'s own status', async () => {
    const wasm = write('small.wasm', invokeModule());
    const cases: Array<[string[], number, Record<string, string>?]> = [
      [['run', wasm, '--invoke', 'div', '6', '3'], 0],
      [['run', wasm, '--invoke', 'boom'], 1],
      [['run', write('junk.wasm', 'not wasm')], 1],
      [['run', wasm, '--invoke', 'nope'], 2],
      [['run', wasm, '--invoke', 'div', '1', ''], 2],
      [['run'], 2],
      [['frobnicate'], 2],
      [[], 2],
      [['run', wasm, '--invoke', 'boom'], 3, { WASM_CACHE_ARTIFACT_TIER: 'warm' }],
      [['--dir', '', 'cache', 'path'], 3],
      [['--config', '', 'cache', 'path'], 3],
      [['run', join(dir, 'absent.wasm')], 4],
      [['inspect', dir], 4],
      [['compile', wasm, '-o', join(dir, 'no-such-folder', 'out.cwasm')], 4],
      [['run', write('wasi.wasm', wasiModule('reactor')), '--invoke', 'quit', '42'], 42],
    ];
    for (const [args, code, extra] of cases) {
      const run = await cli(args, { ...env, ...extra });
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(code);
      expect(run.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheConfig } from '@cache/config';
import { loadCacheConfigSync, stringifyCacheConfig } from '@cache/toml';

/** What the demo printed, for tests. */
export interface DemoResult {
  fromCode: CacheConfig;
  fromToml: CacheConfig;
  same: boolean;
}

/**
 * Builds a cache configuration in code, writes the same settings as a
 * Wasmtime TOML file, loads that file back, and prints both.
 */
export function runConfigDemo(print: (line: string) => void = console.log): DemoResult {
  const workDir = mkdtempSync(join(tmpdir(), 'wasm-cache-demo-'));
  try {
    const fromCode = CacheConfig.default()
      .withDirectory(join(workDir, 'cache'))
      .withCapacity('1Gi')
      .withCleanupInterval('30m')
      .withBaselineCompressionLevel(5)
      .validate();
    print('1. A cache configuration built in code:');
    print('   CacheConfig.default().withDirectory(…).withCapacity("1Gi").withCleanupInterval("30m").withBaselineCompressionLevel(5)');
    print(indent(JSON.stringify(fromCode.toJSON(), null, 2)));

    const file = join(workDir, 'config.toml');
    const text = stringifyCacheConfig(fromCode);
    writeFileSync(file, text);
    print(`\n2. The same settings in Wasmtime's TOML format (${file}):`);
    print(indent(text.trimEnd()));

    const fromToml = loadCacheConfigSync(file);
    print('\n3. Loaded back from the TOML file:');
    print(indent(JSON.stringify(fromToml.toJSON(), null, 2)));
    const same = fromToml.equals(fromCode);
    print(`\nThe two configurations are ${same ? 'identical' : 'DIFFERENT'}.`);
    return { fromCode, fromToml, same };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `   ${line}`)
    .join('\n');
}

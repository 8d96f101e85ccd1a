import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CacheConfig } from '@cache/config';
import { describe, expect, it } from 'vitest';
import { parseCacheConfig, tomlToBuilderCode } from '../src/index.js';

const TEXT = `[cache]
directory = "/var/cache/wasm"
files-total-size-soft-limit = "1 Gi"
cleanup-interval = "30m"
baseline-compression-level = 5
file-count-limit-percent-if-deleting = "60%"
`;

describe('tomlToBuilderCode', () => {
  it('prints the builder code a user would paste, keeping units', () => {
    expect(tomlToBuilderCode(TEXT)).toBe(`import { CacheConfig } from '@cache/config';

export const cacheConfig = CacheConfig.default()
  .withDirectory("/var/cache/wasm")
  .withBaselineCompressionLevel(5)
  .withCleanupInterval("30m")
  .withCapacity("1 Gi")
  .withFileCountLimitPercentIfDeleting("60%");
`);
  });

  it('generates code that, run, builds a config equal to the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrate-'));
    const configUrl = pathToFileURL(join(import.meta.dirname, '..', '..', 'config', 'dist', 'index.js')).href;
    const file = join(dir, 'generated.mjs');
    writeFileSync(file, tomlToBuilderCode(TEXT, { importFrom: configUrl }));
    const generated = (await import(pathToFileURL(file).href)) as { cacheConfig: CacheConfig };
    expect(generated.cacheConfig.toJSON()).toEqual(parseCacheConfig(TEXT).toJSON());
  });

  it('starts from disabled() for enabled = false, and validates first', () => {
    expect(tomlToBuilderCode('[cache]\nenabled = false\n', { onWarning: () => undefined })).toContain('CacheConfig.disabled();');
    expect(() => tomlToBuilderCode('[cache]\ncleanup-interval = "1 week"\n')).toThrow(/cleanup-interval/);
  });
});

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', 'dist', 'bin.js');

describe('wasm-cache demo (built binary)', () => {
  it('prints the config from code and from TOML, and they are identical', () => {
    const output = execFileSync(process.execPath, [bin, 'demo'], { encoding: 'utf8' });
    expect(output).toContain('files-total-size-soft-limit = "1Gi"');
    expect(output).toContain('cleanup-interval = "30m"');
    expect(output).toMatch(/"filesTotalSizeSoftLimit": 1073741824/g);
    expect(output).toContain('The two configurations are identical.');
  });

  it('--help lists the demo command', () => {
    const output = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(output).toMatch(/demo\s+Show the cache configured in code/);
  });
});

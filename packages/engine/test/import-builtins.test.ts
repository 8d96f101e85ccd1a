import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPlain } from './helpers.js';

describe('importing the built package (ES module)', () => {
  // An ES `import` of node:fs makes Node build its namespace by reading every export, which loads node:fs's
  // streams: 2-3 ms of a fresh process's import of this package (and of @cache/config, @cache/store,
  // @cache/toml and @cache/v8, which it imports), where the application itself does not import node:fs.
  it('does not make Node load node:fs\'s streams, as an ES import of node:fs would', async () => {
    const report = JSON.parse(await runPlain(join(import.meta.dirname, 'fixtures', 'import-builtins-child.mjs'), [])) as unknown;
    expect(report).toEqual({ before: false, afterEngine: false, afterFs: true, exports: 'function' });
  });

  // The hook is in every process NODE_OPTIONS reaches: each built-in it imported as an ES module would have Node
  // build a namespace for it (0.2-0.3 ms for node:url, node:diagnostics_channel and node:path together). Only
  // node:module stays, which the fallback for Node before 20.16 needs before anything else can be loaded.
  it('the --import hook imports no built-in module but node:module', () => {
    const hook = readFileSync(join(import.meta.dirname, '..', 'dist', 'register.js'), 'utf8');
    const imported = [...hook.matchAll(/^import\s[^;]*?from\s+["']([^"']+)["'];?$/gm)].map((match) => match[1]);
    expect(imported).toEqual(['module']);
  });
});

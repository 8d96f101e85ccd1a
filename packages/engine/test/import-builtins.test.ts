import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Runs a module in a fresh Node process (this one's binary) and parses the JSON line it prints. */
function runModule(source: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '--eval', source], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Record<string, unknown>);
    });
  });
}

describe('importing the built package (ES module)', () => {
  // An ES `import` of node:fs makes Node build its namespace by reading every export, which loads node:fs's
  // streams: 2-3 ms of a fresh process's import of this package (and of @cache/config, @cache/store,
  // @cache/toml and @cache/v8, which it imports), where the application itself does not import node:fs.
  it('does not make Node load node:fs\'s streams, as an ES import of node:fs would', async () => {
    const entry = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'index.js')).href;
    const streams = "process.moduleLoadList.some((name) => name.includes('internal/fs/streams'))";
    const report = await runModule(`
      const before = ${streams};
      const engine = await import(${JSON.stringify(entry)});
      const afterEngine = ${streams};
      await import('node:fs');
      console.log(JSON.stringify({ before, afterEngine, afterFs: ${streams}, exports: typeof engine.Engine }));
    `);
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

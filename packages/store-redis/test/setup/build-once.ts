import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function newest(directory: string): number {
  let latest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) latest = Math.max(latest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

function oldestOutput(): number {
  try {
    return Math.min(...['index.js', 'index.cjs'].map((name) => statSync(path.join(root, 'dist', name)).mtimeMs));
  } catch {
    return 0;
  }
}

/**
 * The two-process test runs the built
 * package (dist/) in child processes, so build it first when the sources are newer.
 */
export default function setup(): void {
  const sources = Math.max(newest(path.join(root, 'src')), statSync(path.join(root, 'tsup.config.ts')).mtimeMs);
  if (oldestOutput() >= sources) return;
  execFileSync(path.join(root, 'node_modules', '.bin', 'tsup'), [], { cwd: root, stdio: 'inherit' });
}

import { nodeBuiltin } from './node-builtin.js';

// As CommonJS gives them: the hook's script loader uses this too, and an ES module's `import` of
// `node:fs` would load `node:fs/promises` (see register/hook-script.ts).
const { renameSync, rmSync, writeFileSync } = nodeBuiltin<typeof import('node:fs')>('node:fs');

/**
 * Writes a small file whole or not at all: into a temporary file beside it,
 * named by this process, then renamed over it, so a reader in another process
 * sees the old file or the new one, never a part. When either step fails the
 * temporary file is removed and the error thrown; the folder must exist.
 */
export function writeFileWhole(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

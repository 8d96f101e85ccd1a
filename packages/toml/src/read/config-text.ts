// `fs.promises` is read where it is used: loading node:fs/promises costs a process 1-2 ms, and the hook (which bundles
// the CommonJS build) reads its file synchronously. In an ES-module build this saves nothing on Node 24, whose
// `import` of node:fs reads `fs.promises` to build the namespace.
import fs, { readFileSync } from 'node:fs';
import { ConfigFileAccessError, systemCodeOf } from '../errors/toml-errors.js';

/**
 * A configuration file's text.
 *
 * @throws (rejects with) ConfigFileAccessError naming the file and the system's code (ENOENT, EACCES...).
 */
export async function readConfigText(file: string): Promise<string> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigFileAccessError(file, 'read', systemCodeOf(error), { cause: error });
  }
}

/** The synchronous form of {@link readConfigText}. */
export function readConfigTextSync(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigFileAccessError(file, 'read', systemCodeOf(error), { cause: error });
  }
}

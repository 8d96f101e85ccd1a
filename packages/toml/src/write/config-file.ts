// `fs.promises` is read where it is used: loading node:fs/promises costs a process 1-2 ms; node:crypto is taken
// only when a file is replaced.
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigFileAccessError, ConfigFileExistsError, systemCodeOf } from '../errors/toml-errors.js';
import { nodeBuiltin } from '../node/node-builtin.js';
import { notRegularFile } from '../read/config-text.js';

const fs = nodeBuiltin<typeof import('node:fs')>('node:fs');
type FileHandle = import('node:fs/promises').FileHandle;

/** The mode of a new configuration file (the umask applies). */
const PUBLIC_MODE = 0o644;
/** The mode of a new configuration file that holds a secret: its owner's only. */
const PRIVATE_MODE = 0o600;
/** Symbolic links followed to the file a path names, at most (Linux's own limit). */
const MAX_LINKS = 40;

/** Options for writing a configuration file. */
export interface SaveOptions {
  /**
   * Replace an existing file. The new text is written to a temporary file
   * beside it, flushed to disk and renamed over it, so that the file is
   * always either the old one or the new one, whole: a write that fails (a
   * full disk, a file size limit, a crash) leaves the old file as it was. The
   * replaced file's permission bits (and, where the process may, its owner)
   * are kept; a symbolic link is kept and the file it points to replaced.
   * @default false
   */
  overwrite?: boolean;
}

/** Options of {@link writeConfigFile}. */
export interface WriteConfigFileOptions extends SaveOptions {
  /**
   * The text holds a secret (a password, a signing key): a new file is made
   * readable and writable by its owner only (0600, where it is 0644 less
   * the umask otherwise), and a replaced file loses its group's and others'
   * permissions.
   * @default false
   */
  secret?: boolean;
}

/**
 * Writes text to a configuration file, creating its folder. Without
 * `overwrite`, an existing file (or a symbolic link, even a dangling one) is
 * never touched: the check and the create are one atomic exclusive open, and
 * a file this call created is removed again when writing it fails. With
 * `overwrite`, the file is replaced atomically (see {@link SaveOptions.overwrite}).
 *
 * @throws ConfigFileExistsError or ConfigFileAccessError (the system's code in `systemCode`).
 */
export async function writeConfigFile(file: string, text: string, options: WriteConfigFileOptions = {}): Promise<void> {
  const folder = dirname(file);
  try {
    await fs.promises.mkdir(folder, { recursive: true });
  } catch (error) {
    // EEXIST from creating the folder: something on its path exists and is not a folder (a file). That is no
    // configuration file already there, and is said as what it is.
    const code = systemCodeOf(error);
    if (code !== 'EEXIST') throw new ConfigFileAccessError(file, 'write', code, { cause: error });
    throw new ConfigFileAccessError(file, 'write', 'ENOTDIR', { cause: new Error(`its folder ${folder} cannot be created: a file is in the way on its path`) });
  }
  const secret = options.secret === true;
  try {
    if (options.overwrite === true) await replaceFile(file, text, secret);
    else await createFile(file, text, secret ? PRIVATE_MODE : PUBLIC_MODE);
  } catch (error) {
    if (error instanceof ConfigFileExistsError) throw error;
    throw new ConfigFileAccessError(file, 'write', systemCodeOf(error), { cause: error });
  }
}

/** Creates `file`, which must not exist, with `text`; removes it again when writing fails. */
async function createFile(file: string, text: string, mode: number): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await fs.promises.open(file, 'wx', mode);
  } catch (error) {
    if (systemCodeOf(error) === 'EEXIST') throw new ConfigFileExistsError(file);
    throw error;
  }
  await writeAndClose(handle, text, file);
}

/**
 * Replaces the file `file` names (through symbolic links) with one holding
 * `text`: a new file beside it, written and flushed, renamed over it.
 */
async function replaceFile(file: string, text: string, secret: boolean): Promise<void> {
  const target = await linkTarget(file);
  const old = await statIfAny(target);
  // A directory, a FIFO or a device (/dev/null) is refused, not replaced by a regular file.
  const refused = old === undefined ? undefined : notRegularFile(old);
  if (refused !== undefined) throw refused;
  const { randomBytes } = nodeBuiltin<typeof import('node:crypto')>('node:crypto');
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  // Exclusive: a name someone else took (or a link planted under it) is never written through.
  const handle = await fs.promises.open(temporary, 'wx', secret ? PRIVATE_MODE : PUBLIC_MODE);
  let renamed = false;
  try {
    await writeAndClose(handle, text, temporary, old === undefined ? undefined : () => keepOwnerAndMode(handle, old, secret));
    await fs.promises.rename(temporary, target);
    renamed = true;
  } finally {
    if (!renamed) await fs.promises.rm(temporary, { force: true }).catch(() => undefined);
  }
  await syncFolder(dirname(target));
}

/**
 * Writes `text` (after `prepare`, when given), flushes it to disk and closes
 * the file; on failure, closes and removes `path` (a file this module created).
 */
async function writeAndClose(handle: FileHandle, text: string, path: string, prepare?: () => Promise<void>): Promise<void> {
  let closing = false;
  try {
    await prepare?.();
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    closing = true;
    await handle.close();
  } catch (error) {
    if (!closing) await handle.close().catch(() => undefined);
    await fs.promises.rm(path, { force: true }).catch(() => undefined);
    throw error;
  }
}

/** The path of the file `file` names once symbolic links in its last part are followed (it need not exist). */
async function linkTarget(file: string): Promise<string> {
  let path = file;
  for (let hops = 0; hops < MAX_LINKS; hops += 1) {
    let link: string;
    try {
      link = await fs.promises.readlink(path);
    } catch (error) {
      // EINVAL: not a symbolic link; ENOENT: nothing there yet.
      const code = systemCodeOf(error);
      if (code === 'EINVAL' || code === 'ENOENT' || code === 'UNKNOWN') return path;
      throw error;
    }
    path = resolve(dirname(path), link);
  }
  throw Object.assign(new Error(`too many levels of symbolic links from ${file}`), { code: 'ELOOP' });
}

async function statIfAny(path: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.promises.stat(path);
  } catch (error) {
    if (systemCodeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Gives the new file the replaced one's permission bits (less its group's
 * and others' for a secret) and, where the process may (root, or a group
 * it is in), its owner and group.
 */
async function keepOwnerAndMode(handle: FileHandle, old: import('node:fs').Stats, secret: boolean): Promise<void> {
  if (process.platform !== 'win32') await handle.chown(old.uid, old.gid).catch(() => undefined);
  await handle.chmod((old.mode & 0o777) & (secret ? 0o700 : 0o777));
}

/** Flushes a folder's entries (the rename) to disk, where the system can; a failure here loses nothing already done. */
async function syncFolder(folder: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    const handle = await fs.promises.open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems cannot flush a folder; the file itself was flushed.
  }
}

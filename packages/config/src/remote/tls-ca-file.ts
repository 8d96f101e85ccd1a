import { readLocalFile, type LocalFileFault } from './local-file.js';

/** A TLS CA file, read: the certificates it holds (as bytes, for `tls.connect`'s `ca`), or why it cannot be used. */
export type TlsCaFileRead = { readonly ok: true; readonly ca: Buffer } | LocalFileFault;

/**
 * The certificate authorities a TLS CA file holds (`tlsCaFile`, its bytes as
 * they are), or why it cannot be used: it cannot be read (`cannot be read
 * (ENOENT)`). Its content is not judged: Node takes any bytes as `ca`, and
 * what they trust is only known when a server's certificate is checked.
 * Reads the local file only, so the remote tier's user can check it without
 * connecting (say, while Redis is known to be down). Say a failure with
 * {@link tlsCaFileMessage}.
 */
export function readTlsCaFile(path: string): TlsCaFileRead {
  const read = readLocalFile(path);
  return read.ok ? { ok: true, ca: read.bytes } : read;
}

/** How a TLS CA file that cannot be used is said, wherever it is found (`@cache/store-redis`'s `TlsCaFileError`, the engine's hook). */
export function tlsCaFileMessage(path: string, reason: string): string {
  return `Cannot use the TLS CA file ${path}: ${reason}`;
}

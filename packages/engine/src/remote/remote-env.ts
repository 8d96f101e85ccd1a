import { REMOTE_SETTING_NAMES, RemoteCacheConfig } from '@cache/config';

/**
 * The variable a detached writer gets the hook's remote tier in (its settings
 * as JSON, secrets included, as the parent holds them): in the environment of
 * that one child, not in its job file on disk, and not re-read from the
 * parent's variables at exit, which the application may have changed (in
 * esbuild's service process none of `WASM_CACHE_*` is left by then).
 */
export const PRODUCER_REMOTE_ENV = 'CACHE_ENGINE_PRODUCER_REMOTE';

/** The remote tier's settings as {@link PRODUCER_REMOTE_ENV} carries them. */
export function remoteToEnv(remote: RemoteCacheConfig): string {
  const settings: Record<string, unknown> = { ...remote.settings() };
  return JSON.stringify(Object.fromEntries(REMOTE_SETTING_NAMES.filter((name) => settings[name] !== undefined).map((name) => [name, settings[name]])));
}

/** The remote tier {@link remoteToEnv} wrote, or undefined when there is none or it does not read back. */
export function remoteFromEnv(text: string | undefined): RemoteCacheConfig | undefined {
  if (!text) return undefined;
  try {
    const values = JSON.parse(text) as Record<string, unknown>;
    let remote = RemoteCacheConfig.create();
    for (const name of REMOTE_SETTING_NAMES) {
      const value = values[name];
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') remote = remote.withSetting(name, value);
    }
    return remote.validate();
  } catch {
    return undefined;
  }
}

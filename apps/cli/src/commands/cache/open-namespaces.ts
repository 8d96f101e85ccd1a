import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheConfig } from '@cache/config';
import { DiskStore, FORMAT_DIRECTORY } from '@cache/store';
import { existsSync } from 'node:fs';

/** The namespaces (engine fingerprints) present in a cache directory. */
export async function listNamespaces(directory: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return [];
  }
  return names.filter((name) => !name.startsWith('.') && existsSync(join(directory, name, FORMAT_DIRECTORY))).sort();
}

/** Runs `use` on a store opened for each namespace of the directory, closing each. */
export async function forEachNamespace<T>(config: CacheConfig, use: (store: DiskStore, namespace: string) => Promise<T>): Promise<Array<{ namespace: string; result: T }>> {
  const results: Array<{ namespace: string; result: T }> = [];
  for (const namespace of await listNamespaces(config.directory)) {
    const store = await DiskStore.open(config, { namespace, background: 'inline' });
    try {
      results.push({ namespace, result: await use(store, namespace) });
    } finally {
      await store.close();
    }
  }
  return results;
}

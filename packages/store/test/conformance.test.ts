import { runStoreConformance } from '../src/conformance/index.js';
import { DiskStore, MemoryStore } from '../src/index.js';
import { configFor, tempDirectory } from './helpers.js';

runStoreConformance('MemoryStore', () => new MemoryStore({ maxBytes: 64 * 1024 * 1024, maxEntries: 1000 }));

for (const compression of [true, false]) {
  let directory: ReturnType<typeof tempDirectory> | undefined;
  runStoreConformance(
    `DiskStore (${compression ? 'zstd' : 'uncompressed'}, worker)`,
    () => {
      directory = tempDirectory('conf-');
      return DiskStore.open(configFor(directory.path), { namespace: 'conformance', compression });
    },
    { cleanup: () => directory?.remove() },
  );
}

let inlineDirectory: ReturnType<typeof tempDirectory> | undefined;
runStoreConformance(
  'DiskStore (inline background)',
  () => {
    inlineDirectory = tempDirectory('conf-inline-');
    return DiskStore.open(configFor(inlineDirectory.path), { background: 'inline' });
  },
  { cleanup: () => inlineDirectory?.remove() },
);

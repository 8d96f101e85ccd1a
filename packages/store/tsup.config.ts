import { definePackageConfig } from '@cache/tsup-config';

export default definePackageConfig({
  entry: { index: 'src/index.ts', conformance: 'src/conformance/index.ts', worker: 'src/disk/worker.ts' },
  external: ['vitest'],
});

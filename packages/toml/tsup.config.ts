import { definePackageConfig } from '@cache/tsup-config';

export default definePackageConfig({ entry: { index: 'src/index.ts' }, noExternal: ['smol-toml'] });

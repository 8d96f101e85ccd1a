import { CacheConfig } from '../src/index.js';

/** What the host allows this tenant or deployment to use. */
export type PermissionLevel = 'fast-ssd' | 'hdd' | 'none';

/**
 * The specification's motivating case for configuring the cache in code:
 * pick a cache per permission level at run time instead of shipping one file.
 * A tenant on fast SSD gets a 2 MiB cache, one on HDD 512 KiB, and an
 * untrusted one none at all.
 */
export function cacheConfigFor(level: PermissionLevel, directory: string): CacheConfig {
  switch (level) {
    case 'fast-ssd':
      return CacheConfig.default().withDirectory(directory).withCapacity('2Mi').validate();
    case 'hdd':
      return CacheConfig.default()
        .withDirectory(directory)
        .withCapacity(512 * 1024)
        // Slower disks: clean up less often and compress harder.
        .withCleanupInterval('6h')
        .withBaselineCompressionLevel(6)
        .validate();
    case 'none':
      return CacheConfig.disabled();
  }
}

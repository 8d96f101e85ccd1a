import { Config, Engine } from '@cache/engine';
import type { CacheConfig } from '@cache/config';

/** An engine over the CLI's configuration. */
export function engineFor(config: CacheConfig): Engine {
  return new Engine(Config.default().cacheConfig(config));
}

import type { ConfigProblem, SettingOrigin } from '../errors/config-error.js';
import type { SettingName } from '../settings/definitions.js';
import type { SettingInput } from '../settings/schema.js';

/** Values read from one source (environment, an object), ready to lay over a base configuration. */
export interface Overlay {
  /** Whether the source turns the cache on or off, when it says. */
  enabled?: { value: boolean; origin: SettingOrigin };
  /**
   * The settings the source gives; `key` is the name an object wrote one
   * under (`cleanup-interval`, `capacity`), for problems to name it as written.
   */
  settings: Array<{ name: SettingName; value: SettingInput; origin: SettingOrigin; key?: string }>;
  /** What could not even be read as a setting (unknown keys, wrong types). */
  problems: ConfigProblem[];
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/** Reads a boolean given as text ("true", "0", "off", ...); undefined when it is none of them. */
export function parseBooleanWord(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return undefined;
}

import type { SettingOrigin } from '../errors/config-error.js';
import { SETTING_NAMES, settingForFileKey, type SettingName } from '../settings/definitions.js';
import type { Overlay } from './overlay.js';

/**
 * Cache settings as an application's own configuration holds them: camelCase
 * (`cleanupInterval`) or Wasmtime's kebab-case (`cleanup-interval`) keys,
 * `capacity` for the size limit, `enabled` as a boolean. Values are numbers in
 * base units or strings with units.
 */
export type CacheSettingsObject = Readonly<Record<string, unknown>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Reads settings from a plain object; every unknown key or wrong type is a problem naming it. */
export function readObjectOverlay(object: unknown, label: string): Overlay {
  const overlay: Overlay = { settings: [], problems: [] };
  const origin: SettingOrigin = { kind: 'object', label };
  if (!isPlainObject(object)) {
    overlay.problems.push({ setting: '(root)', value: object, rule: 'must be a plain object of settings', origin });
    return overlay;
  }
  const seen = new Map<SettingName, string>();
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    if (key === 'enabled') {
      if (typeof value === 'boolean') overlay.enabled = { value, origin };
      else overlay.problems.push({ setting: key, value, rule: 'must be a boolean', origin });
      continue;
    }
    const name: SettingName | undefined =
      key === 'capacity'
        ? 'filesTotalSizeSoftLimit'
        : (SETTING_NAMES as readonly string[]).includes(key)
          ? (key as SettingName)
          : settingForFileKey(key);
    if (name === undefined) {
      overlay.problems.push({ setting: key, value, rule: `unknown setting; known: enabled, capacity, ${SETTING_NAMES.join(', ')}`, origin });
      continue;
    }
    if (typeof value !== 'number' && typeof value !== 'string') {
      overlay.problems.push({ setting: key, value, rule: 'must be a number or a string', origin });
      continue;
    }
    const previous = seen.get(name);
    if (previous !== undefined) {
      overlay.problems.push({ setting: key, value, rule: `sets the same setting as ${previous}; use only one`, origin });
      continue;
    }
    seen.set(name, key);
    overlay.settings.push({ name, value, origin: { kind: 'object', label: `${label}.${key}` }, key });
  }
  return overlay;
}

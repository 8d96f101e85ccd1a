/**
 * What `node --require @cache/engine/register` and
 * `require('@cache/engine/register')` load (the `require` condition of the
 * `./register` export): an error saying to use `--import`. The hook is an ES
 * module because it must finish `WASM_CACHE_PRELOAD` before the application
 * starts, which only a module loaded with `--import` can wait for; a hook
 * that silently did less under `--require` would leave the synchronous
 * `new WebAssembly.Module` calls the preload exists for uncached.
 *
 * @internal
 * @packageDocumentation
 */

/** `@cache/engine/register` was loaded with `require` (or `--require`); it is loaded with `--import`. */
export class RegisterRequiredError extends Error {
  /** Stable code for programmatic handling. */
  readonly code = 'ERR_CACHE_REGISTER_REQUIRED';

  constructor() {
    super(
      '@cache/engine/register is an ES module hook and cannot be loaded with --require or require(): ' +
        'use `node --import @cache/engine/register app.js` (or NODE_OPTIONS="--import @cache/engine/register"). ' +
        'It must finish WASM_CACHE_PRELOAD before the application starts, which only --import can wait for.',
    );
    this.name = 'RegisterRequiredError';
  }
}

throw new RegisterRequiredError();

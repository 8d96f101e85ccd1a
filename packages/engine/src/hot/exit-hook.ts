/**
 * Runs `save` once, synchronously, as the process ends: at Node's `exit`
 * event (the event loop emptied, `process.exit()`, an uncaught exception), or
 * when it is sent SIGTERM and nothing of its own handles that signal. SIGTERM
 * is how a parent stops a child (`child.kill()`: esbuild-wasm stops its
 * service process so), and Node's default for it ends the process without an
 * `exit` event. Returns a function that removes what was installed.
 *
 * Only SIGTERM, and only as a signal's default would: a listener for a signal
 * makes Node deliver it to JavaScript, which cannot run while the process is
 * busy (a long loop in wasm), so a process listening for SIGINT could no
 * longer be stopped with Ctrl-C. SIGINT and every other signal keep Node's
 * default. When the process listens for SIGTERM itself, its listeners are left
 * to decide (graceful shutdown): this one saves nothing then, and the `exit`
 * event saves if the process exits. This listener is put first so that it
 * sees every other one, `once` listeners included (those remove themselves
 * before they run). When there is none, it saves, removes itself and raises
 * SIGTERM again, so the process ends by the signal, as without the cache.
 */
export function onExitOrTerminate(save: () => void): () => void {
  let saved = false;
  const saveOnce = (): void => {
    if (saved) return;
    saved = true;
    save();
  };
  const onTerminate = (): void => {
    if (process.listenerCount('SIGTERM') > 1) return; // the process handles it: its exit saves, if it exits
    saveOnce();
    remove();
    process.kill(process.pid, 'SIGTERM');
  };
  const remove = (): void => {
    process.off('exit', saveOnce);
    process.off('SIGTERM', onTerminate);
  };
  process.on('exit', saveOnce);
  process.prependListener('SIGTERM', onTerminate); // (never emitted on Windows, where a kill() ends a process at once)
  return remove;
}

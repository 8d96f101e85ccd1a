/**
 * The saves to run as the process ends, and the listeners that run them:
 * one of each for the whole process, however many caches (each with its own
 * hot snapshots) and however many copies of this package (the `--import`
 * hook's bundled one beside the application's) register saves. Kept on
 * `globalThis` under a registry symbol, so that every copy finds the same one.
 */
interface ExitRegistry {
  /** Each registered save, run once by the first of `exit` or an unhandled SIGTERM. */
  readonly saves: Set<() => void>;
  /** The `exit` and SIGTERM listeners, while installed (while `saves` is not empty). */
  listeners: { readonly exit: () => void; readonly terminate: () => void } | undefined;
}

/** Versioned: a later layout of the registry would take another key, and never misread this one. */
const REGISTRY_KEY = Symbol.for('@cache/engine.exit-hook.v1');

function registry(): ExitRegistry {
  const holder = globalThis as { [REGISTRY_KEY]?: ExitRegistry };
  let found = holder[REGISTRY_KEY];
  if (!found) {
    found = { saves: new Set(), listeners: undefined };
    Object.defineProperty(holder, REGISTRY_KEY, { value: found, configurable: true, enumerable: false, writable: false });
  }
  return found;
}

/** Runs every registered save once (each is removed before it runs; one that throws does not keep the others from running). */
function runSaves(shared: ExitRegistry): void {
  for (const save of [...shared.saves]) {
    if (!shared.saves.delete(save)) continue;
    try {
      save();
    } catch {
      // A save reports its own failures; nothing more can be done as the process ends.
    }
  }
}

function install(shared: ExitRegistry): void {
  if (shared.listeners) return;
  const exit = (): void => runSaves(shared);
  const terminate = (): void => {
    // Only the process's own listeners count: the listener here is this registry's, one for every cache.
    const others = process.listeners('SIGTERM').some((listener) => listener !== terminate);
    runSaves(shared);
    // Gone before the others run (they run from a copy of the list): a library that ends the process by the
    // signal only when its listener is the last one (signal-exit's rule) sees itself alone, as without the cache.
    uninstall(shared);
    if (!others) process.kill(process.pid, 'SIGTERM'); // else the process handles it, as it would without the cache
  };
  shared.listeners = { exit, terminate };
  process.on('exit', exit);
  process.prependListener('SIGTERM', terminate); // (never emitted on Windows, where a kill() ends a process at once)
}

function uninstall(shared: ExitRegistry): void {
  const { listeners } = shared;
  if (!listeners) return;
  shared.listeners = undefined;
  process.off('exit', listeners.exit);
  process.off('SIGTERM', listeners.terminate);
}

/**
 * Runs `save` once, synchronously, as the process ends: at Node's `exit`
 * event (the event loop emptied, `process.exit()`, an uncaught exception), or
 * when it is sent SIGTERM and nothing of its own handles that signal. SIGTERM
 * is how a parent stops a child (`child.kill()`: esbuild-wasm stops its
 * service process so), and Node's default for it ends the process without an
 * `exit` event. Returns a function that removes `save` (and the listeners,
 * once no save is left).
 *
 * Only SIGTERM, and only as a signal's default would: a listener for a signal
 * makes Node deliver it to JavaScript, which cannot run while the process is
 * busy (a long loop in wasm), so a process listening for SIGINT could no
 * longer be stopped with Ctrl-C. SIGINT and every other signal keep Node's
 * default. The SIGTERM listener is put first so that it sees every other
 * one, `once` listeners included (those remove themselves before they run).
 * It runs every save and removes itself (and the `exit` listener) before the
 * others run. When there is no other, it raises SIGTERM again, so the process
 * ends by the signal, as without the cache; when there is, the process's
 * listeners decide (a graceful shutdown), as without the cache: a library
 * that raises the signal again only when its listener is the last one
 * (signal-exit) finds itself alone.
 *
 * There is one listener of each kind for the whole process, shared by every
 * cache and every copy of this package: with a listener per cache, each would
 * take the other's for the process's own, none would save and raise the
 * signal again, and the process would no longer end by SIGTERM.
 */
export function onExitOrTerminate(save: () => void): () => void {
  const shared = registry();
  const entry = (): void => save();
  shared.saves.add(entry);
  install(shared);
  return () => {
    shared.saves.delete(entry);
    if (shared.saves.size === 0) uninstall(shared);
  };
}

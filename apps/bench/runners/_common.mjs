// Shared by the runner scripts: each runs in a fresh process and prints one JSON line on stdout.
export function emit(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Milliseconds since this process started (performance.timeOrigin), i.e. including Node's boot and any --import hook. */
export function sinceProcessStart() {
  return performance.now();
}

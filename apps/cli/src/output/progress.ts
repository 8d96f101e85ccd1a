const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Shows progress on standard error for work that takes over a second: a
 * spinner with the elapsed time on a terminal; nothing when standard error is
 * not a terminal (logs, pipes, CI). Returns a function that stops it.
 */
export function startProgress(label: string, stream: NodeJS.WriteStream = process.stderr): { update(text: string): void; stop(): void } {
  if (!stream.isTTY) return { update: () => undefined, stop: () => undefined };
  const started = Date.now();
  let text = label;
  let frame = 0;
  let shown = false;
  const timer = setInterval(() => {
    const elapsed = Date.now() - started;
    if (elapsed < 1000) return;
    shown = true;
    stream.write(`\r${FRAMES[frame++ % FRAMES.length]} ${text} ${(elapsed / 1000).toFixed(1)}s\u001b[K`);
  }, 100);
  timer.unref();
  return {
    update: (next) => {
      text = next;
    },
    stop: () => {
      clearInterval(timer);
      if (shown) stream.write('\r\u001b[K');
    },
  };
}

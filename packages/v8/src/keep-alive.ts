/**
 * Runs `work` while a timer keeps the event loop alive: Node 24 can exit
 * before a pending asynchronous wasm compile settles.
 */
export async function keepingAlive<T>(work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => undefined, 1 << 30);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

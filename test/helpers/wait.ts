/**
 * Waits for a condition that real I/O makes true (bytes arriving on a socket, a file appearing),
 * polling every few milliseconds; fails after `timeoutMs` with `what` in the message. Engine logic
 * itself is driven by ManualClock; this only waits for the outside world.
 */
export async function waitUntil(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

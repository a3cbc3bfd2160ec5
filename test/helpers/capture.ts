/** Captures what a block writes to process.stdout (print() output) as one string. */
export function captureStdout(): { text: () => string; restore: () => void } {
  const chunks: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  }) as typeof process.stdout.write;
  return { text: () => chunks.join(""), restore: () => { process.stdout.write = original; } };
}

/**
 * Starts `ssc`, runs `ms` of batches on its ManualClock, stops it, and returns what print()
 * wrote meanwhile.
 */
export async function printedWhileRunning(ssc: { start(): void; stop(): Promise<void> }, clock: { advance(ms: number): Promise<void> }, ms: number): Promise<string> {
  const out = captureStdout();
  try {
    ssc.start();
    await clock.advance(ms);
  } finally {
    out.restore();
    await ssc.stop();
  }
  return out.text();
}

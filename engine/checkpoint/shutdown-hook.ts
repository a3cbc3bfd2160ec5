import type { StreamingContext } from "../streaming-context";

const SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGINT"];

/**
 * Spark's `spark.streaming.stopGracefullyOnShutdown`: on SIGTERM or SIGINT the context stops
 * gracefully (receivers stop, received data is processed, the last checkpoint is written) and the
 * process then dies of the same signal, so its exit status still says how it ended. Returns a
 * function that removes the handlers (called when the context stops).
 */
export function installShutdownHook(ssc: StreamingContext): () => void {
  if (!ssc.conf.getBoolean("spark.streaming.stopGracefullyOnShutdown", false)) return () => {};
  const handler = (signal: NodeJS.Signals) => {
    remove();
    void ssc.stop({ stopGracefully: true }).finally(() => process.kill(process.pid, signal));
  };
  const remove = () => { for (const s of SIGNALS) process.removeListener(s, handler); };
  for (const s of SIGNALS) process.once(s, handler);
  return remove;
}

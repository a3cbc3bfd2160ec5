/** Where the engine's WARN/INFO lines go. Tests and the kernel install their own. */
export interface Logger {
  warn(message: string): void;
  info(message: string): void;
}

/** Writes warnings to stderr in log4j's layout (`WARN StreamingContext: ...`); info is silent. */
export const stderrLogger: Logger = {
  warn: (m) => process.stderr.write(`WARN ${m}\n`),
  info: () => {},
};

let current: Logger = stderrLogger;

/** The engine's logger. */
export function log(): Logger { return current; }

/** Replaces the engine's logger; returns the previous one so it can be put back. */
export function setLogger(logger: Logger): Logger {
  const prev = current;
  current = logger;
  return prev;
}

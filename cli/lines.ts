import { Errors } from "../engine/errors/messages";
import { LineServer, LineServerOptions, startLineServer } from "../engine/tools/line-server";
import { flag, parseArgs, ParsedArgs } from "./args";

const USAGE = `usage: streamlab lines [--port 9999] [--file FILE] [--rate N] [--loop] [--host 127.0.0.1]
Serves lines over TCP like \`nc -lk 9999\`: the file's lines, or stdin's when there is no --file,
to every connected client. --rate N sends N lines per second; --loop repeats the file.
Nothing is sent before the first client connects. Ctrl-C stops.`;

/** What the CLI commands talk to; tests replace it. */
export interface CliIO {
  /** Where status lines go (default: stderr, so stdout stays free for data). */
  status?: (line: string) => void;
  /** Stops the server when aborted (default: SIGINT or SIGTERM). */
  signal?: AbortSignal;
  /** The input when there is no --file (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

/** `streamlab lines`: serve a file or stdin to every client, as `nc -lk` does. */
export async function main(args: string[], io: CliIO = {}): Promise<number> {
  const parsed = parseArgs(args, ["loop", "help"]);
  if (parsed.flags.has("help")) { (io.status ?? stderr)(USAGE); return 0; }
  const file = flag(parsed, "file");
  const options: LineServerOptions = {
    port: numberFlag(parsed, "port", 9999),
    host: flag(parsed, "host"),
    rate: numberFlag(parsed, "rate"),
    loop: flag(parsed, "loop") === "true",
  };
  if (file !== undefined) options.file = file;
  else options.lines = io.stdin ?? process.stdin;
  const server = await startLineServer(options);
  return serveUntilStopped(server, `serving ${file ?? "stdin"}`, io);
}

/** Announces the server, then keeps it running until the signal (default: Ctrl-C). @internal */
export async function serveUntilStopped(server: LineServer, what: string, io: CliIO): Promise<number> {
  const status = io.status ?? stderr;
  status(`streamlab: ${what} on ${server.host}:${server.port} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener("abort", () => resolve(), { once: true });
      return;
    }
    const stop = () => { process.off("SIGINT", stop); process.off("SIGTERM", stop); resolve(); };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await server.close();
  status(`streamlab: stopped after ${server.linesSent} lines`);
  return 0;
}

/** A numeric flag, or `fallback` when absent; a non-number fails with a catalog error. @internal */
export function numberFlag(parsed: ParsedArgs, name: string, fallback?: number): number | undefined {
  const text = flag(parsed, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) {
    throw Errors.badOption(`--${name}`, text, "must be a number", `Use e.g. --${name} ${fallback ?? 10}.`);
  }
  return value;
}

function stderr(line: string): void {
  process.stderr.write(line + "\n");
}

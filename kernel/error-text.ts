/**
 * Errors as a notebook user reads them: the message and code first, then the frames of the user's
 * own cells (file names `cell [N]`, with the line of the cell's source), the rest of the stack
 * (streamlab's and tslab's frames) apart, for showing on demand.
 */

/** A compiled cell: its TypeScript source and the JavaScript that ran (stack lines refer to it). */
interface CellCode { source: string; compiled: string }
const cellCode = new Map<string, CellCode>();

/** Remembers the code of cell run `label` (`cell [4]`) so its frames can name the source line. */
export function recordCellCode(label: string, source: string, compiled: string): void {
  cellCode.set(label, { source, compiled });
}

const CELL_FRAME = /\((cell \[\d+\]):(\d+):(\d+)\)$|at (cell \[\d+\]):(\d+):(\d+)$/;

/** A frame in a user's cell: which cell, the line of its source, the source text of that line. */
export interface UserFrame { cell: string; line: number; text: string; frame: string }

/** The source line (1-based) of compiled line `jsLine`: the source line sharing most words with it, nearest first. */
export function sourceLine(code: CellCode, jsLine: number): { line: number; text: string } | undefined {
  const js = code.compiled.split("\n")[jsLine - 1];
  if (js === undefined) return undefined;
  const words = (s: string) => new Set(s.replace(/\bexports\./g, "").match(/[\w$]+|"[^"]*"|'[^']*'|`[^`]*`/g) ?? []);
  const want = words(js);
  const lines = code.source.split("\n");
  let best: { line: number; score: number } | undefined;
  lines.forEach((l, i) => {
    let score = 0;
    for (const w of words(l)) if (want.has(w)) score++;
    if (score > 0 && (!best || score > best.score)) best = { line: i + 1, score };
  });
  return best && { line: best.line, text: lines[best.line - 1].trim() };
}

/** The frames of `stack` that are in notebook cells, with their source lines. */
export function userFrames(stack: string): UserFrame[] {
  const out: UserFrame[] = [];
  for (const raw of stack.split("\n").slice(1)) {
    const frame = raw.trim();
    const m = CELL_FRAME.exec(frame);
    if (!m) continue;
    const cell = m[1] ?? m[4];
    const jsLine = Number(m[2] ?? m[5]);
    const code = cellCode.get(cell);
    const src = code && sourceLine(code, jsLine);
    out.push({ cell, line: src?.line ?? jsLine, text: src?.text ?? "", frame: frame.replace(/^at /, "") });
  }
  return out;
}

/** An error split for reading: headline (name, code, message), the user's frames, the full stack. */
export interface ReadableError {
  headline: string;
  code: string | undefined;
  frames: string[];
  stack: string;
}

/** `error` for a notebook: `TypeError [STREAM_ERR_NOT_PAIR]: message`, then `cell [4] line 3: <source>` frames. */
export function readableError(error: unknown): ReadableError {
  const e = error instanceof Error ? error : new Error(String(error));
  const code = typeof (e as { code?: unknown }).code === "string" ? (e as unknown as { code: string }).code : undefined;
  const headline = `${e.name}${code ? ` [${code}]` : ""}: ${e.message}`;
  const stack = e.stack ?? headline;
  const frames = userFrames(stack).map((f) => `${f.cell} line ${f.line}${f.text ? `: ${f.text}` : ""}`);
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof Error && frames.length === 0) frames.push(...readableError(cause).frames);
  return { headline, code, frames: [...new Set(frames)], stack };
}

/** The traceback a failed cell shows: headline and the user's frames; how many other frames were left out. */
export function cellTraceback(error: unknown): string[] {
  const r = readableError(error);
  const hidden = r.stack.split("\n").slice(1).filter((l) => /^\s+at /.test(l)).length - r.frames.length;
  return [r.headline, ...r.frames.map((f) => `    at ${f}`), ...(hidden > 0 ? [`    (${hidden} frames inside streamlab, tslab and Node not shown)`] : [])];
}

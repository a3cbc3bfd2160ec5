import { createHash } from "crypto";
import * as v8 from "v8";
import { Errors } from "../errors/messages";

/**
 * The on-disk encoding of every checkpoint file (metadata and stream data alike):
 *
 * ```
 * STREAMLAB-CHECKPOINT 1 sha256=<64 hex> length=<body bytes>\n<body>
 * ```
 *
 * The body is `v8.serialize(payload)`: plain data only (objects, arrays, Map, Set, Date, BigInt,
 * typed arrays). Decoding checks the length (a torn write is shorter) and the sha256 (a damaged or
 * edited file differs) before `v8.deserialize`, which rebuilds data and never runs code: there is
 * no class, closure or `eval` in the format. The checksum detects damage; it is not a signature
 * (whoever can write the directory can write a valid file).
 */
const MAGIC = "STREAMLAB-CHECKPOINT";
const VERSION = 1;
const HEADER = /^STREAMLAB-CHECKPOINT (\d+) sha256=([0-9a-f]{64}) length=(\d+)$/;
/** Longer than any valid header line; bounds the search for its newline. */
const MAX_HEADER = 160;

/** Encodes `payload` as a checkpoint file's bytes. */
export function encodeCheckpoint(payload: unknown): Buffer {
  const body = v8.serialize(payload);
  const header = `${MAGIC} ${VERSION} sha256=${sha256(body)} length=${body.length}\n`;
  return Buffer.concat([Buffer.from(header, "latin1"), body]);
}

/** Decodes a checkpoint file's bytes; `file` names it in errors. Throws a coded StreamingError. */
export function decodeCheckpoint(bytes: Buffer, file: string): unknown {
  const newline = bytes.subarray(0, MAX_HEADER).indexOf(0x0a);
  if (newline < 0) {
    if (bytes.length < MAX_HEADER && MAGIC.startsWith(bytes.toString("latin1").slice(0, MAGIC.length))) throw Errors.checkpointTruncated(file, undefined, bytes.length);
    throw Errors.checkpointFormat(file, "it does not start with a streamlab checkpoint header");
  }
  const m = HEADER.exec(bytes.subarray(0, newline).toString("latin1"));
  if (!m) throw Errors.checkpointFormat(file, "its header line is not a streamlab checkpoint header");
  if (Number(m[1]) !== VERSION) throw Errors.checkpointFormat(file, `it has format version ${m[1]}, this streamlab reads version ${VERSION}`);
  const body = bytes.subarray(newline + 1);
  const expected = Number(m[3]);
  if (body.length < expected) throw Errors.checkpointTruncated(file, expected, body.length);
  if (body.length > expected || sha256(body) !== m[2]) throw Errors.checkpointChecksum(file);
  return v8.deserialize(body);
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

import { Errors } from "../errors/messages";
import { ReceiverInputDStream } from "../dstream/receiver-input-dstream";
import { StorageLevel } from "../storage-level";
import type { StreamingContext } from "../streaming-context";
import { DEFAULT_MAX_LINE_BYTES } from "./line-splitter";
import { SocketConverter, SocketReceiver } from "./socket-receiver";

/** Spark's SocketInputDStream: a receiver stream whose receiver is a TCP client to `host:port`. */
export class SocketInputDStream<T> extends ReceiverInputDStream<T> {
  constructor(ssc: StreamingContext, host: string, port: number, converter: SocketConverter<T>, storageLevel: StorageLevel) {
    super(ssc, newSocketReceiver(host, port, converter, storageLevel, ssc.conf.getSizeBytes("streamlab.receiver.maxLineLength", DEFAULT_MAX_LINE_BYTES)));
  }
}

/** Validates the arguments up front: a bad port should fail at stream creation, not at start. */
function newSocketReceiver<T>(host: string, port: number, converter: SocketConverter<T>, storageLevel: StorageLevel, maxLineBytes: number): SocketReceiver<T> {
  if (typeof host !== "string" || host === "") throw Errors.badArgument("The socket stream's host", host, "must be a host name such as \"localhost\"");
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw Errors.badArgument("The socket stream's port", port, "must be a whole number from 1 to 65535");
  if (typeof converter !== "function") throw Errors.badArgument("socketStream's converter", converter, "must be a function (input: Readable) => Iterable or AsyncIterable of records");
  return new SocketReceiver(host, port, converter, storageLevel, maxLineBytes);
}

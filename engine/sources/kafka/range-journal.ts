import * as fs from "fs";
import * as path from "path";
import { log } from "../../log";
import { OffsetRange } from "./offset-range";

/**
 * The offset ranges of each batch as it is generated, appended to
 * `<checkpointDir>/kafka-<streamId>-ranges` before the batch's jobs run. streamlab writes its
 * metadata checkpoint after a batch completes (Spark also writes one after generating a batch's
 * jobs): without this, a batch whose outputs ran but whose checkpoint was not written yet would be
 * read again after a crash with other ranges, and an exactly-once sink that had committed it
 * would skip records. One JSON line per batch; a torn last line is ignored. @internal
 */
export class RangeJournal {
  readonly file: string;
  private lines = 0;

  constructor(dir: string, streamId: number) {
    this.file = path.join(dir, `kafka-${streamId}-ranges`);
  }

  /** Appends batch `time`'s ranges (the file is created on first use). */
  append(time: number, ranges: readonly OffsetRange[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    fs.appendFileSync(this.file, JSON.stringify([time, ranges.map((r) => [r.topic, r.partition, r.fromOffset, r.untilOffset])]) + "\n");
    this.lines++;
  }

  /** Keeps only the batches still remembered, once the file has grown (written with the checkpoint). */
  compact(remembered: ReadonlyMap<number, readonly OffsetRange[]>): void {
    if (this.lines < 200) return;
    const tmp = `${this.file}.tmp-${process.pid}`;
    const text = [...remembered].map(([t, rs]) => JSON.stringify([t, rs.map((r) => [r.topic, r.partition, r.fromOffset, r.untilOffset])]) + "\n").join("");
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, this.file);
    this.lines = remembered.size;
  }

  /** Every batch in the journal, by time. */
  read(): Map<number, OffsetRange[]> {
    const out = new Map<number, OffsetRange[]>();
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch {
      return out;
    }
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        const [t, rs] = JSON.parse(line) as [number, [string, number, number, number][]];
        if (typeof t !== "number" || !Array.isArray(rs)) continue;
        out.set(t, rs.map(([topic, p, from, until]) => new OffsetRange(String(topic), Number(p), Number(from), Number(until))));
      } catch {
        log().warn(`DirectKafkaInputDStream: ignoring a damaged line of ${this.file} (a write cut by a crash)`);
      }
    }
    this.lines = out.size;
    return out;
  }
}

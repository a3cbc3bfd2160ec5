import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setLogger } from "../../engine";
import { BatchJournal } from "../../engine/checkpoint/batch-journal";
import { encodeCheckpoint } from "../../engine/checkpoint/checkpoint-format";

let dir: string;
let warnings: string[];
let previousLogger: ReturnType<typeof setLogger>;
beforeEach(() => {
  dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-journal-")), "window-3");
  warnings = [];
  previousLogger = setLogger({ warn: (m) => warnings.push(m), info: () => {} });
});
afterEach(() => {
  setLogger(previousLogger);
  fs.rmSync(path.dirname(dir), { recursive: true, force: true });
});

const batch = (t: number) => [[], [["a", t / 1000]]];

describe("BatchJournal", () => {
  it("appends each batch once to segments of ten batches, and deletes a segment when its newest batch is old enough", () => {
    const journal = new BatchJournal(dir);
    for (let t = 1000; t <= 25_000; t += 1000) {
      journal.write(t, batch(t));
      journal.write(t, "written twice: ignored");
    }
    expect(fs.readdirSync(dir)).toEqual(["segment-0000000000", "segment-0000000001", "segment-0000000002"]);
    expect(journal.read(7000)).toEqual(batch(7000));
    journal.removeUpTo(15_000); // the first segment holds 1..10 s; the second's newest is 20 s
    expect(fs.readdirSync(dir)).toEqual(["segment-0000000001", "segment-0000000002"]);
    expect(journal.read(7000)).toBeUndefined();
    expect(journal.times()).toEqual(Array.from({ length: 15 }, (_, i) => 11_000 + i * 1000));
    journal.removeUpTo(30_000); // the segment being written stays
    expect(fs.readdirSync(dir)).toEqual(["segment-0000000002"]);
  });

  it("a new process reads every saved batch and appends to a new segment, never after an old one's tail", () => {
    const first = new BatchJournal(dir);
    for (const t of [1000, 2000, 3000]) first.write(t, batch(t));
    const second = new BatchJournal(dir);
    expect([1000, 2000, 3000].map((t) => second.read(t))).toEqual([1000, 2000, 3000].map(batch));
    second.write(3000, "saved already: ignored");
    second.write(4000, batch(4000));
    expect(fs.readdirSync(dir)).toEqual(["segment-0000000000", "segment-0000000001"]);
    expect(new BatchJournal(dir).times()).toEqual([1000, 2000, 3000, 4000]);
    expect(warnings).toEqual([]);
  });

  it("a batch an earlier process saved but this one computed anew is saved again, and the newest is what a restart reads", () => {
    const first = new BatchJournal(dir);
    for (const t of [1000, 2000]) first.write(t, batch(t));
    // The first process died after saving 2000 but before its metadata named it: the next one
    // recomputes 2000 (from a source that may have lost data) and must save what it used.
    const second = new BatchJournal(dir);
    expect(second.read(1000)).toEqual(batch(1000));
    second.write(1000, "read back: ignored");
    second.write(2000, [[], [["a", 99]]]);
    expect(new BatchJournal(dir).read(2000)).toEqual([[], [["a", 99]]]);
    expect(new BatchJournal(dir).read(1000)).toEqual(batch(1000));
  });

  it("a batch torn by a kill is not saved (with a warning naming the byte); the batches before it are", () => {
    const journal = new BatchJournal(dir);
    for (const t of [1000, 2000, 3000]) journal.write(t, batch(t));
    const file = path.join(dir, "segment-0000000000");
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 5);
    const lastFrame = size - (12 + encodeCheckpoint(batch(3000)).length);
    const reread = new BatchJournal(dir);
    expect([1000, 2000, 3000].map((t) => reread.read(t))).toEqual([batch(1000), batch(2000), undefined]);
    expect(warnings).toEqual([
      `Checkpoint: ${file} ends with a torn batch at byte ${lastFrame} (${size - 5 - lastFrame} bytes ignored); that batch is recomputed from its source.`,
    ]);
  });

  it("a damaged batch fails its checksum and is treated as not saved; its neighbours still load", () => {
    const journal = new BatchJournal(dir);
    for (const t of [1000, 2000, 3000]) journal.write(t, batch(t));
    const file = path.join(dir, "segment-0000000000");
    const bytes = fs.readFileSync(file);
    const second = 2 * 12 + encodeCheckpoint(batch(1000)).length + encodeCheckpoint(batch(2000)).length - 1;
    bytes[second] ^= 0xff; // the last byte of batch 2000's body
    fs.writeFileSync(file, bytes);
    const reread = new BatchJournal(dir);
    expect([1000, 2000, 3000].map((t) => reread.read(t))).toEqual([batch(1000), undefined, batch(3000)]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`Checkpoint: ignoring batch 2000 of ${file}: Checkpoint file ${file} (batch 2000) failed its sha256 check`);
  });

  it("reads and cleans up the one-file-per-batch layout of earlier versions", () => {
    fs.mkdirSync(dir, { recursive: true });
    for (const t of [1000, 2000]) fs.writeFileSync(path.join(dir, `batch-${t}`), encodeCheckpoint(batch(t)));
    fs.writeFileSync(path.join(dir, "batch-3000.tmp-999"), "left by a killed process");
    const journal = new BatchJournal(dir);
    expect([1000, 2000].map((t) => journal.read(t))).toEqual([batch(1000), batch(2000)]);
    journal.write(2000, "saved already: ignored");
    journal.write(3000, batch(3000));
    expect(journal.times()).toEqual([1000, 2000, 3000]);
    journal.removeUpTo(2000);
    expect(fs.readdirSync(dir)).toEqual(["segment-0000000000"]);
    expect(journal.read(3000)).toEqual(batch(3000));
  });
});

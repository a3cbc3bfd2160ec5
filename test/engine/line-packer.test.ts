import { linesInSegment, PackedLines, unpackSegment } from "../../engine/receiver/packed-lines";
import { LinePacker, LineSegment } from "../../engine/sources/line-packer";
import { fileLines, LineSplitter } from "../../engine/sources/line-splitter";
import { mulberry32 } from "../../engine/tools/prng";

/** Everything a packer gives for `bytes` cut at random, checking each segment's count. */
function packAll(bytes: Buffer, rnd: () => number, maxChunk: number, packer = new LinePacker()): string[] {
  const got: string[] = [];
  const take = (segments: LineSegment[]) => {
    for (const { segment, count } of segments) {
      expect(segment[segment.length - 1]).toBe(10);
      const lines = unpackSegment(segment);
      expect(lines).toHaveLength(count);
      got.push(...lines);
    }
  };
  for (let at = 0; at < bytes.length;) {
    const len = 1 + Math.floor(rnd() * maxChunk);
    take(packer.push(bytes.subarray(at, at + len)));
    at += len;
  }
  take(packer.end());
  return got;
}

/** LineSplitter (readLine's rules) over the whole input at once: the reference. */
function splitAll(bytes: Buffer): string[] {
  const splitter = new LineSplitter();
  return [...splitter.push(bytes), ...splitter.end()];
}

describe("LinePacker", () => {
  it("gives LineSplitter's lines for any chunking of \\n, \\r, \\r\\n, multi-byte and malformed UTF-8", () => {
    const rnd = mulberry32(7);
    const pieces: Buffer[] = ["a", "bc", "é", "日本", "🙂", "\n", "\r", "\r\n", "\n\n", "\r\r", " ", "\n\n\n"].map((p) => Buffer.from(p, "utf8"));
    // A lone continuation byte, a truncated 3-byte sequence, an invalid lead byte.
    const malformed = [Buffer.from([0x80]), Buffer.from([0xe6, 0x97]), Buffer.from([0xff])];
    for (let trial = 0; trial < 400; trial++) {
      // A quarter of the trials have no \r (the byte path only), a quarter malformed bytes too.
      const usable = trial % 4 === 0 ? pieces.filter((p) => !p.includes(13)) : trial % 4 === 1 ? [...pieces, ...malformed] : pieces;
      const parts: Buffer[] = [];
      const n = Math.floor(rnd() * 80);
      for (let i = 0; i < n; i++) parts.push(usable[Math.floor(rnd() * usable.length)]);
      const bytes = Buffer.concat(parts);
      expect(packAll(bytes, rnd, trial % 2 === 0 ? 9 : 40)).toEqual(splitAll(bytes));
    }
  });

  it("keeps a chunk's whole lines as one subarray of it, and a line split over chunks as its own segment", () => {
    const packer = new LinePacker();
    const chunk = Buffer.from("one\ntwo\nthr", "utf8");
    const first = packer.push(chunk);
    expect(first).toEqual([{ segment: Buffer.from("one\ntwo\n"), count: 2 }]);
    expect(first[0].segment.buffer).toBe(chunk.buffer);
    expect(packer.push(Buffer.from("ee"))).toEqual([]);
    expect(packer.push(Buffer.from("!\nfour\n\nfive"))).toEqual([{ segment: Buffer.from("three!\n"), count: 1 }, { segment: Buffer.from("four\n\n"), count: 2 }]);
    expect(packer.end()).toEqual([{ segment: Buffer.from("five\n"), count: 1 }]);
  });

  it("goes back to the byte path once a chunk with \\r ends with \\n", () => {
    const packer = new LinePacker();
    expect(packer.push(Buffer.from("a\r\nb\r"))).toEqual([{ segment: Buffer.from("a\nb\n"), count: 2 }]);
    // Still LineSplitter's: this \n completes b's \r\n, so it is no line of its own.
    expect(packer.push(Buffer.from("\nc\n"))).toEqual([{ segment: Buffer.from("c\n"), count: 1 }]);
    const plain = Buffer.from("d\ne\n");
    const segments = packer.push(plain);
    expect(segments).toEqual([{ segment: Buffer.from("d\ne\n"), count: 2 }]);
    expect(segments[0].segment.buffer).toBe(plain.buffer);
    expect(packer.end()).toEqual([]);
  });
});

describe("LinePacker and LineSplitter with a line-length limit", () => {
  it("drop exactly the lines longer than the limit, for any chunking, telling once per dropped line", () => {
    const rnd = mulberry32(22);
    const pieces = ["a", "bcdefgh", "é", "日本", "🙂", "\n", "\r", "\r\n", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"].map((p) => Buffer.from(p, "utf8"));
    for (let trial = 0; trial < 400; trial++) {
      const limit = 1 + Math.floor(rnd() * 40);
      const usable = trial % 3 === 0 ? pieces.filter((p) => !p.includes(13)) : pieces;
      const parts: Buffer[] = [];
      const n = Math.floor(rnd() * 60);
      for (let i = 0; i < n; i++) parts.push(usable[Math.floor(rnd() * usable.length)]);
      const bytes = Buffer.concat(parts);
      const all = splitAll(bytes);
      const kept = all.filter((l) => Buffer.byteLength(l) <= limit);
      let told = 0;
      const packer = new LinePacker(limit, (l) => { expect(l).toBe(limit); told++; });
      expect(packAll(bytes, rnd, trial % 2 === 0 ? 5 : 50, packer)).toEqual(kept);
      expect(told).toBe(all.length - kept.length);
      let toldSplitter = 0;
      const splitter = new LineSplitter(limit, () => toldSplitter++);
      const got: string[] = [];
      for (let at = 0; at < bytes.length; at += 7) got.push(...splitter.push(bytes.subarray(at, at + 7)));
      got.push(...splitter.end());
      expect(got).toEqual(kept);
      expect(toldSplitter).toBe(all.length - kept.length);
    }
  });

  it("holds no more than the limit of an unterminated line", () => {
    const packer = new LinePacker(100);
    for (let i = 0; i < 50; i++) packer.push(Buffer.alloc(30, "x"));
    expect((packer as unknown as { pendingBytes: number }).pendingBytes).toBe(0);
    const splitter = new LineSplitter(100);
    expect(splitter.push("x\r")).toEqual(["x"]);
    for (let i = 0; i < 50; i++) splitter.push(Buffer.alloc(30, "y"));
    expect((splitter as unknown as { partial: string }).partial).toBe("");
    expect([...splitter.push("\nz\n"), ...splitter.end()]).toEqual(["z"]);
  });
});

describe("fileLines", () => {
  it("strips a UTF-8 byte order mark at the start of a file only, keeping Hadoop's offsets", () => {
    expect(fileLines(Buffer.from("\uFEFFhello world\nhello\n", "utf8"))).toEqual([[0, "hello world"], [15, "hello"]]);
    expect(fileLines(Buffer.from("a\n\uFEFFb", "utf8"))).toEqual([[0, "a"], [2, "\uFEFFb"]]);
    expect(fileLines(Buffer.from("\uFEFF", "utf8"))).toEqual([[0, ""]]);
    expect(fileLines(Buffer.from("\uFEFF\r\nx", "utf8"))).toEqual([[0, ""], [5, "x"]]);
  });

  it("skips lines longer than the limit, telling once per line", () => {
    const told: number[] = [];
    expect(fileLines(Buffer.from("ab\nabcdef\r\nabc\nabcd", "utf8"), 3, (l) => told.push(l))).toEqual([[0, "ab"], [11, "abc"]]);
    expect(told).toEqual([3, 3]);
  });
});

describe("PackedLines", () => {
  it("counts a segment's lines as its \\n bytes and decodes them anew on every read", () => {
    expect(["x\n", "\n", "a\n\nb\n", "\n\n\n"].map((s) => linesInSegment(Buffer.from(s)))).toEqual([1, 1, 3, 3]);
    const packed = new PackedLines([Buffer.from("a\nb\n"), Buffer.from("\n"), new Uint8Array(Buffer.from("日本\n"))], 4);
    expect(packed.lines()).toEqual(["a", "b", "", "日本"]);
    expect(packed.lines()).not.toBe(packed.lines());
  });
});

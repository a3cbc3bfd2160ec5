import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ManualClock } from "../../engine";
import { SalesFileWriter, writeLinesFile } from "../../engine/tools/sales-files";
import { salesLines } from "../../engine/tools/sales-generator";

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-files-"));

describe("SalesFileWriter", () => {
  it("writes consecutive slices of the seeded stream with controlled mtimes", async () => {
    const dir = tempDir();
    const writer = new SalesFileWriter(dir, { seed: 11, linesPerFile: 5, mtime: (i) => Date.UTC(2024, 0, 1) + i * 60_000 });
    const a = await writer.writeNext();
    const b = await writer.writeNext();
    expect([a, b]).toEqual([path.join(dir, "sales-000001.txt"), path.join(dir, "sales-000002.txt")]);
    expect(fs.readdirSync(dir).sort()).toEqual(["sales-000001.txt", "sales-000002.txt"]); // no temp file left
    const lines = [a, b].flatMap((f) => fs.readFileSync(f as string, "utf8").split("\n").slice(0, -1));
    expect(lines).toEqual([...salesLines(11, { count: 10 })]);
    expect(fs.statSync(a as string).mtimeMs).toBe(Date.UTC(2024, 0, 1) + 60_000);
    expect(fs.statSync(b as string).mtimeMs).toBe(Date.UTC(2024, 0, 1) + 120_000);
  });

  it("stamps files with a clock's time and writes on its schedule", async () => {
    const dir = tempDir();
    const clock = new ManualClock(Date.UTC(2024, 0, 1));
    const writer = new SalesFileWriter(dir, { seed: 1, linesPerFile: 2, count: 5, mtime: clock });
    let written = 0;
    const waitFiles = async (n: number) => { while (written < n) await new Promise((r) => setTimeout(r, 5)); };
    const origWrite = writer.writeNext.bind(writer);
    writer.writeNext = async () => { const f = await origWrite(); if (f) written++; return f; };
    const stop = writer.startEvery(10_000, clock);
    await clock.advance(9_999);
    expect(written).toBe(0);
    await clock.advance(1);
    await waitFiles(1);
    await clock.advance(10_000);
    await waitFiles(2);
    await clock.advance(10_000);
    await waitFiles(3);
    await clock.advance(10_000); // count 5 is used up: no fourth file
    stop();
    const files = fs.readdirSync(dir).sort();
    expect(files).toEqual(["sales-000001.txt", "sales-000002.txt", "sales-000003.txt"]);
    expect(files.map((f) => fs.statSync(path.join(dir, f)).mtimeMs)).toEqual([10_000, 20_000, 30_000].map((d) => Date.UTC(2024, 0, 1) + d));
    expect(fs.readFileSync(path.join(dir, files[2]), "utf8")).toBe([...salesLines(1, { count: 5 })][4] + "\n");
  });

  it("writeLinesFile replaces atomically via a hidden temp file", async () => {
    const dir = tempDir();
    await writeLinesFile(dir, "x.txt", ["a", "b"], 1_000_000);
    await writeLinesFile(dir, "x.txt", ["c"], 2_000_000);
    expect(fs.readdirSync(dir)).toEqual(["x.txt"]);
    expect(fs.readFileSync(path.join(dir, "x.txt"), "utf8")).toBe("c\n");
    expect(fs.statSync(path.join(dir, "x.txt")).mtimeMs).toBe(2_000_000);
  });
});

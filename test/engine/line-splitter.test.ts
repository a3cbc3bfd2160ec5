import { LineSplitter } from "../../engine/sources/line-splitter";
import { mulberry32 } from "../../engine/tools/prng";

/** BufferedReader.readLine over a whole text: terminators \r\n, \r or \n; a last unterminated line counts. */
function readLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

describe("LineSplitter", () => {
  it("splits any chunking of mixed \\n, \\r, \\r\\n and multi-byte text as readLine does", () => {
    const rnd = mulberry32(5);
    const pieces = ["a", "bc", "é", "日本", "🙂", "\n", "\r", "\r\n", "\n\n", "\r\r", " "];
    for (let trial = 0; trial < 300; trial++) {
      let text = "";
      const n = Math.floor(rnd() * 60);
      for (let i = 0; i < n; i++) text += pieces[Math.floor(rnd() * pieces.length)];
      const bytes = Buffer.from(text, "utf8");
      const splitter = new LineSplitter();
      const got: string[] = [];
      for (let at = 0; at < bytes.length;) {
        const len = 1 + Math.floor(rnd() * 7);
        got.push(...splitter.push(bytes.subarray(at, at + len)));
        at += len;
      }
      got.push(...splitter.end());
      expect(got).toEqual(readLines(text));
    }
  });
});

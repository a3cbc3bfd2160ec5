import * as fs from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "..");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

describe("the error catalog", () => {
  it("documents every error code the sources use", () => {
    const used = new Set<string>();
    for (const dir of ["engine", "kernel", "cli"]) {
      const full = path.join(root, dir);
      if (!fs.existsSync(full)) continue;
      for (const f of sourceFiles(full)) for (const m of fs.readFileSync(f, "utf8").matchAll(/"((?:STREAM|KERNEL)_ERR_[A-Z_]+)"/g)) used.add(m[1]);
    }
    const doc = fs.readFileSync(path.join(root, "docs", "errors.md"), "utf8");
    const missing = [...used].filter((c) => !doc.includes("`" + c + "`"));
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(30);
  });
});

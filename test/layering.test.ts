import * as fs from "fs";
import * as path from "path";

const root = path.resolve(__dirname, "..");

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith(".ts") ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = fs.readFileSync(file, "utf8");
  return [...src.matchAll(/(?:from\s+|require\(\s*|import\(\s*|import\s+)["']([^"']+)["']/g)].map((m) => m[1]);
}

describe("layering", () => {
  it("engine/ never imports kernel/, cli/ or Jupyter packages", () => {
    const offending: string[] = [];
    for (const f of tsFiles(path.join(root, "engine"))) {
      for (const spec of imports(f)) {
        const resolved = spec.startsWith(".") ? path.resolve(path.dirname(f), spec) : spec;
        const bad = resolved.startsWith(path.join(root, "kernel")) || resolved.startsWith(path.join(root, "cli")) || /^(tslab|vega|vega-lite|ws|zeromq)(\/|$)/.test(spec);
        if (bad) offending.push(`${path.relative(root, f)} imports ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });
});

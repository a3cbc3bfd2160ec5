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
  it("engine/ never imports kernel/, cli/, ui/ or Jupyter and UI packages", () => {
    const offending: string[] = [];
    for (const f of tsFiles(path.join(root, "engine"))) {
      for (const spec of imports(f)) {
        const resolved = spec.startsWith(".") ? path.resolve(path.dirname(f), spec) : spec;
        const bad = resolved.startsWith(path.join(root, "kernel")) || resolved.startsWith(path.join(root, "cli")) || resolved.startsWith(path.join(root, "ui")) ||
          /^(tslab|vega|vega-lite|ws|zeromq)(\/|$)/.test(spec);
        if (bad) offending.push(`${path.relative(root, f)} imports ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("ui/ reads the engine only through its listener API and hooks, and never imports kernel/ or cli/", () => {
    const allowed = ["engine/scheduler/listener", "engine/scheduler/batch-info", "engine/streaming-context", "engine/ui-hooks", "engine/log"].map((p) => path.join(root, p));
    const offending: string[] = [];
    for (const f of tsFiles(path.join(root, "ui"))) {
      for (const spec of imports(f)) {
        if (!spec.startsWith(".")) continue;
        const resolved = path.resolve(path.dirname(f), spec);
        const intoEngine = resolved.startsWith(path.join(root, "engine")) && !allowed.includes(resolved);
        if (intoEngine || resolved.startsWith(path.join(root, "kernel")) || resolved.startsWith(path.join(root, "cli"))) offending.push(`${path.relative(root, f)} imports ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it("ui/model and ui/browser run in the browser too: they import nothing outside ui/model and ui/browser", () => {
    const offending: string[] = [];
    for (const dir of ["ui/model", "ui/browser"]) {
      for (const f of tsFiles(path.join(root, dir))) {
        for (const spec of imports(f)) {
          const resolved = spec.startsWith(".") ? path.resolve(path.dirname(f), spec) : spec;
          if (!resolved.startsWith(path.join(root, "ui", "model")) && !resolved.startsWith(path.join(root, "ui", "browser"))) offending.push(`${path.relative(root, f)} imports ${spec}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });
});

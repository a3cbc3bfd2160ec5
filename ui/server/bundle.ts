import * as fs from "fs";
import * as path from "path";

/**
 * Joins a CommonJS entry file and the files it requires by relative path (what tsc emits for the
 * page's TypeScript) into one browser script with a small `require`. No bundler dependency: the
 * page's modules only require each other, and everything else (vega) is a script of its own.
 */
export function bundleCommonJs(entry: string): string {
  const modules = new Map<string, string>();
  const visit = (file: string): void => {
    if (modules.has(file)) return;
    const code = fs.readFileSync(file, "utf8").replace(/\n\/\/# sourceMappingURL=.*$/m, "");
    modules.set(file, code);
    for (const m of code.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) visit(resolve(file, m[1]));
  };
  visit(entry);
  const ids = new Map([...modules.keys()].map((f, i) => [f, i]));
  const defs = [...modules].map(([file, code]) => {
    const rewritten = code.replace(/require\("(\.{1,2}\/[^"]+)"\)/g, (_, spec: string) => `__req(${ids.get(resolve(file, spec))})`);
    return `${ids.get(file)}: function (module, exports, __req) {\n${rewritten}\n}`;
  });
  return `(function () {\n"use strict";\nvar defs = {\n${defs.join(",\n")}\n};\nvar cache = {};\n` +
    `function __req(id) { if (cache[id]) return cache[id].exports; var m = cache[id] = { exports: {} }; defs[id](m, m.exports, __req); return m.exports; }\n` +
    `__req(0);\n})();\n`;
}

function resolve(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  return base.endsWith(".js") ? base : `${base}.js`;
}

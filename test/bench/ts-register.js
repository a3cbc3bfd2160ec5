/**
 * Lets Node require the benchmark's (and the engine's) TypeScript sources directly: each .ts file
 * is transpiled in memory with typescript.transpileModule (no type check: `npm run typecheck`
 * checks these files). Used by run.js and by the socket sender process.
 */
const fs = require("fs");
const ts = require("typescript");

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  inlineSourceMap: true,
};

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};

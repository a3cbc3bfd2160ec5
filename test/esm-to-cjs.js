/**
 * Jest transform for the ES-module-only packages of the Kafka client (@platformatic/*): Node 20.19+
 * loads them with require() itself, but Jest's module loader does not, so they are compiled to
 * CommonJS here (`import.meta.url` becomes the file's URL first: CommonJS has no import.meta).
 */
const ts = require("typescript");
const { pathToFileURL } = require("url");

module.exports = {
  process(source, filename) {
    // A module-level `const require = createRequire(import.meta.url)` would clash with CommonJS's
    // own require, which does the same job.
    const src = source
      .replace(/^const require = createRequire\(import\.meta\.url\);$/m, "")
      .replace(/import\.meta\.url/g, JSON.stringify(pathToFileURL(filename).href));
    const out = ts.transpileModule(src, {
      fileName: filename,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
    });
    return { code: out.outputText };
  },
  getCacheKey(source, filename) {
    return require("crypto").createHash("sha256").update("esm-to-cjs-2\0" + filename + "\0" + source).digest("hex");
  },
};

import { cellDeclaredNames, declarationsThatRan } from "../../kernel/declarations";
import { cellTraceback, readableError, recordCellCode, sourceLine } from "../../kernel/error-text";
import { createError } from "../../engine/errors/streaming-error";

// What tslab's converter emits for a cell (node_modules/tslab/dist/converter.js, v1.0.22):
// every declared name is set to undefined first, then assigned as its statement runs.
const COMPILED = [
  'Object.defineProperty(exports, "__esModule", { value: true });',
  "exports.after = exports.before = exports.path = void 0;",
  'const path = __importStar(require("path"));',
  "exports.path = path;",
  "const before = 41;",
  "exports.before = before;",
  'throw new Error("boom");',
  "const after = 1;",
  "exports.after = after;",
].join("\n");
const DECLS = 'import * as path from "path";\ndeclare const before = 41;\ndeclare const after = 1;\ndeclare const earlier: string;\n';

describe("a failed cell keeps the declarations that ran", () => {
  it("reads the names a compiled cell declares from its prologue", () => {
    expect([...cellDeclaredNames(COMPILED)]).toEqual(["after", "before", "path"]);
  });

  it("keeps the imports and values assigned before the failure and the earlier cells' names; drops the rest", () => {
    const exportsNow = { path: {}, before: 41, after: undefined, earlier: "x" };
    expect(declarationsThatRan(DECLS, COMPILED, exportsNow)).toBe('import * as path from "path";\ndeclare const before = 41;\ndeclare const earlier: string;\n');
  });
});

describe("errors as a notebook user reads them", () => {
  const source = 'import { X } from "streamlab";\n\nconst f = (w: string): string => {\n  if (w === "bye") throw new Error("cannot handle " + w);\n  return w;\n};';
  const compiled = 'Object.defineProperty(exports, "__esModule", { value: true });\nexports.f = void 0;\nconst f = (w) => {\n    if (w === "bye")\n        throw new Error("cannot handle " + w);\n    return w;\n};\nexports.f = f;';

  it("maps a compiled line back to the cell's source line", () => {
    expect(sourceLine({ source, compiled }, 5)).toEqual({ line: 4, text: 'if (w === "bye") throw new Error("cannot handle " + w);' });
  });

  it("shows name, code and message, then the user's frames by cell and source line, and counts the frames left out", () => {
    recordCellCode("cell [7]", source, compiled);
    const e = createError(TypeError, "cannot handle bye", "STREAM_ERR_EXAMPLE");
    e.stack = "TypeError: cannot handle bye\n    at f (cell [7]:5:15)\n    at MappedDStream.compute (/x/dist/engine/dstream/mapped.js:10:3)\n    at cell [7]:8:1\n    at Script.runInThisContext (node:vm:1:1)";
    expect(readableError(e).headline).toBe("TypeError [STREAM_ERR_EXAMPLE]: cannot handle bye");
    expect(cellTraceback(e)).toEqual([
      "TypeError [STREAM_ERR_EXAMPLE]: cannot handle bye",
      '    at cell [7] line 4: if (w === "bye") throw new Error("cannot handle " + w);',
      "    at cell [7] line 3: const f = (w: string): string => {",
      "    (2 frames inside streamlab, tslab and Node not shown)",
    ]);
  });
});

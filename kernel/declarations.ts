import * as path from "path";

/** The parts of TypeScript's API that reading a declaration file needs. */
interface Ts {
  createSourceFile(name: string, text: string, target: number, setParents?: boolean): { statements: TsNode[] };
  ScriptTarget: { Latest: number };
  isImportDeclaration(n: TsNode): boolean;
  isVariableStatement(n: TsNode): boolean;
}
interface TsNode {
  getFullText(): string;
  name?: { text?: string };
  importClause?: { name?: { text: string }; namedBindings?: { name?: { text: string }; elements?: Array<{ name: { text: string } }> } };
  declarationList?: { declarations: Array<{ name: { text?: string } }> };
}

let tsModule: Ts | undefined;
function ts(): Ts {
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  return (tsModule ??= require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] })) as Ts);
}

/** The names a top-level declaration statement declares (`import { a, b }`, `declare const x`, `declare function f`...). */
function declaredNames(node: TsNode): string[] {
  const t = ts();
  if (t.isImportDeclaration(node)) {
    const clause = node.importClause;
    if (!clause) return [];
    const bindings = clause.namedBindings;
    return [
      ...(clause.name ? [clause.name.text] : []),
      ...(bindings?.name ? [bindings.name.text] : []),
      ...(bindings?.elements ?? []).map((e) => e.name.text),
    ];
  }
  if (t.isVariableStatement(node)) return (node.declarationList?.declarations ?? []).flatMap((d) => (d.name.text ? [d.name.text] : []));
  return node.name?.text ? [node.name.text] : [];
}

/** The names a compiled cell declares: tslab's output starts with `exports.a = exports.b = void 0;`. */
export function cellDeclaredNames(compiled: string): Set<string> {
  const names = new Set<string>();
  const prologue = /^((?:exports\.[\w$]+ = )+)void 0;$/m.exec(compiled);
  if (prologue) for (const m of prologue[1].matchAll(/exports\.([\w$]+) = /g)) names.add(m[1]);
  return names;
}

/**
 * The declarations to keep after a cell failed part-way: tslab's declaration text for the notebook
 * so far (`declOutput`: the cell's declarations plus the earlier cells' it did not redeclare) without
 * the cell's own declarations that never ran. A declaration ran when the value it exported is set:
 * the compiled cell first sets every name it declares to `undefined`, then assigns each as its
 * statement runs. So the imports and values before the failing line stay usable in the next cell;
 * names after it are forgotten, as if never written.
 */
export function declarationsThatRan(declOutput: string, compiled: string, exportsNow: Record<string, unknown>): string {
  const own = cellDeclaredNames(compiled);
  const file = ts().createSourceFile("__prev__.d.ts", declOutput, ts().ScriptTarget.Latest, true);
  return file.statements
    .filter((s) => {
      const names = declaredNames(s);
      return names.length === 0 || names.some((n) => !own.has(n) || exportsNow[n] !== undefined);
    })
    .map((s) => s.getFullText())
    .join("") + "\n";
}

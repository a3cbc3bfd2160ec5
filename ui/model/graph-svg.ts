/**
 * The DStream graph as a picture: inputs on the left, outputs on the right, one column per depth;
 * each box names the operator (Spark's class name, or the output operation), its latest batch
 * size and, for a stateful stream, its state size. Shared by Node and the browser: no imports.
 */
import type { GraphNode } from "./ui-state";

const W = 205, H = 54, GAP_X = 34, GAP_Y = 14, PAD = 8;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const count = (n: number) => n.toLocaleString("en-US");

/** The box's first line: `print #5`, `ShuffledDStream #3`. */
export function nodeTitle(n: GraphNode): string {
  return n.outputOpName !== undefined ? `${n.outputOpName} (output ${n.outputOpId}) #${n.id}` : `${n.kind} #${n.id}`;
}

/** The box's second line: the latest batch size and state size, as known. */
export function nodeDetail(n: GraphNode): string {
  if (n.outputOpName !== undefined) return "output operation";
  const parts: string[] = [];
  parts.push(n.records === undefined ? (n.sizeBatchTime === undefined ? "no batch yet" : "pipelined") : `${count(n.records)} records`);
  if (n.stateful) parts.push(n.stateSize === undefined ? "state: -" : `state: ${count(n.stateSize)} keys`);
  return parts.join(" · ");
}

/** Column of each node: its longest distance from an input. */
function depths(nodes: GraphNode[]): Map<number, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<number, number>();
  const visit = (n: GraphNode, seen: Set<number>): number => {
    const known = depth.get(n.id);
    if (known !== undefined) return known;
    if (seen.has(n.id)) return 0;
    seen.add(n.id);
    const ps = n.parents.map((p) => byId.get(p)).filter((p): p is GraphNode => p !== undefined);
    const d = ps.length === 0 ? 0 : 1 + Math.max(...ps.map((p) => visit(p, seen)));
    depth.set(n.id, d);
    return d;
  };
  for (const n of nodes) visit(n, new Set());
  return depth;
}

/** The SVG of the graph (an empty note before the context starts). */
export function graphSvg(nodes: GraphNode[]): string {
  if (nodes.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="30"><text x="4" y="20" font-size="12" font-family="sans-serif">the graph appears when the context starts</text></svg>`;
  const depth = depths(nodes);
  const columns = new Map<number, GraphNode[]>();
  for (const n of nodes) {
    const d = depth.get(n.id) ?? 0;
    if (!columns.has(d)) columns.set(d, []);
    (columns.get(d) as GraphNode[]).push(n);
  }
  const pos = new Map<number, { x: number; y: number }>();
  let maxRows = 0;
  for (const [d, col] of columns) {
    col.forEach((n, i) => pos.set(n.id, { x: PAD + d * (W + GAP_X), y: PAD + i * (H + GAP_Y) }));
    maxRows = Math.max(maxRows, col.length);
  }
  const width = PAD * 2 + columns.size * (W + GAP_X) - GAP_X;
  const height = PAD * 2 + maxRows * (H + GAP_Y) - GAP_Y;
  const edges: string[] = [];
  for (const n of nodes) {
    const to = pos.get(n.id) as { x: number; y: number };
    for (const p of n.parents) {
      const from = pos.get(p);
      if (!from) continue;
      const x1 = from.x + W, y1 = from.y + H / 2, x2 = to.x, y2 = to.y + H / 2, mx = (x1 + x2) / 2;
      edges.push(`<path d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 4},${y2}" fill="none" stroke="#888" stroke-width="1.2" marker-end="url(#arrow)"/>`);
    }
  }
  const boxes = nodes.map((n) => {
    const { x, y } = pos.get(n.id) as { x: number; y: number };
    const fill = n.input ? "#e3f0fb" : n.outputOpName !== undefined ? "#fdf1dc" : n.stateful ? "#e8f5e1" : "#f4f4f4";
    return `<g class="dstream" data-stream-id="${n.id}" data-kind="${esc(n.kind)}"><rect x="${x}" y="${y}" width="${W}" height="${H}" rx="5" fill="${fill}" stroke="#777"/>` +
      `<text x="${x + 7}" y="${y + 20}" font-size="11.5" font-weight="bold" font-family="sans-serif">${esc(nodeTitle(n))}</text>` +
      `<text x="${x + 7}" y="${y + 40}" font-size="11" font-family="sans-serif" fill="#333">${esc(nodeDetail(n))}</text></g>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" class="dstream-graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>` +
    edges.join("") + boxes.join("") + `</svg>`;
}

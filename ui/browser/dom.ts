/** Small DOM helpers of the page. */

/** Escapes text for HTML. */
export function esc(s: unknown): string {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** An HTML table; cells are HTML (escape text with `esc`). */
export function table(cls: string, head: string[], rows: string[][], empty = "none yet"): string {
  const body = rows.length ? rows.map((r) => `<tr>${r.map((c) => `<td${/^[\d,.\s-]+( (ms|s|min|h|records|records\/sec|keys|KiB|MiB|B))?$/.test(stripTags(c)) ? ' class="num"' : ""}>${c}</td>`).join("")}</tr>`).join("")
    : `<tr><td colspan="${head.length}" class="note">${esc(empty)}</td></tr>`;
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${body}</tbody></table>`;
}

function stripTags(s: string): string { return s.replace(/<[^>]*>/g, ""); }

/** Sets an element's HTML if it changed (keeps the DOM still between equal renders). */
export function setHtml(id: string, html: string): void {
  const el = document.getElementById(id);
  if (el && (el as HTMLElement & { _html?: string })._html !== html) {
    el.innerHTML = html;
    (el as HTMLElement & { _html?: string })._html = html;
  }
}

/** A definition list. */
export function kv(pairs: Array<[string, string]>): string {
  return `<dl class="kv">${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

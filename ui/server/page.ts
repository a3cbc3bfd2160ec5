/** The HTML of the Streaming page (one shell for the main page and a batch's page; the script routes). */
export function pageHtml(appName: string, token: string): string {
  const t = encodeURIComponent(token);
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(appName)} - Streaming Statistics</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/streaming.css?token=${t}">
</head><body>
<header><span class="brand">streamlab</span><span class="app">${esc(appName)} application UI</span><nav><a id="nav-streaming" href="/streaming/?token=${t}">Streaming</a></nav><span id="conn" class="conn">connecting…</span></header>
<main id="main"><p>Loading…</p></main>
<script src="/static/vega.min.js?token=${t}"></script>
<script src="/static/streaming.js?token=${t}"></script>
</body></html>`;
}

/** The page's style sheet. */
export const PAGE_CSS = `
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; font-size: 13px; margin: 0; color: #222; }
header { display: flex; align-items: center; gap: 16px; background: #e8e8e8; padding: 6px 14px; border-bottom: 1px solid #ccc; }
header .brand { font-weight: bold; color: #e25a1c; font-size: 16px; }
header nav a { color: #222; text-decoration: none; background: #fff; padding: 4px 10px; border-radius: 4px; }
header .conn { margin-left: auto; font-size: 12px; padding: 2px 8px; border-radius: 10px; background: #ddd; }
header .conn.live { background: #c9f2c9; } header .conn.down { background: #f6c9c9; }
main { padding: 8px 16px 40px; }
h3 { margin: 18px 0 6px; font-size: 16px; } h4 { margin: 12px 0 4px; }
table { border-collapse: collapse; margin: 4px 0 10px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.timelines td { border: none; border-bottom: 1px solid #eee; }
.stat-title { font-weight: bold; } .stat-avg { color: #555; } .latest { color: #444; font-size: 12px; }
.failed { color: #b00020; font-weight: bold; } .ok { color: #137333; } .queued { color: #777; } .running { color: #1a5fb4; }
pre.error { white-space: pre-wrap; background: #fff5f5; border: 1px solid #f3c0c0; padding: 6px; max-width: 900px; max-height: 220px; overflow: auto; font-size: 11px; }
.code { font-family: monospace; background: #f1e4e4; padding: 1px 4px; border-radius: 3px; }
.panels { display: flex; flex-wrap: wrap; gap: 24px; } .panel { min-width: 420px; }
dl.kv { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 4px 0; } dl.kv dt { color: #555; } dl.kv dd { margin: 0; }
.graph { overflow-x: auto; border: 1px solid #eee; padding: 6px; background: #fcfcfc; }
.note { color: #666; font-size: 12px; }
`;

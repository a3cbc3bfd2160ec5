import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeWithVenv, ROOT, runPython } from "./venv";

interface Output { output_type: string; data?: Record<string, unknown> }

/** Executes a shipped notebook with nbclient on the streamlab kernel; returns each code cell's outputs. */
async function execute(notebook: string): Promise<Output[][]> {
  const executed = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-nb-")), path.basename(notebook));
  const { code, output } = await runPython(["run_notebook.py", path.join(ROOT, "notebooks", notebook), executed], 120_000);
  if (code !== 0) throw new Error(`nbclient failed on ${notebook} (exit ${code}):\n${output}`);
  return JSON.parse(output.trim().split("\n").pop() as string);
}

const anyTime = (s: unknown) => String(s).replace(/\d{13} ms/g, "<T> ms").replace(/time=\d{13}/g, "time=<T>");

describeWithVenv("the notebooks that ship in notebooks/, executed with nbclient", () => {
  it("live-word-count.ipynb: the table and the chart end on the last batch; other cells run meanwhile", async () => {
    const [build, wait, stop] = await execute("live-word-count.ipynb");
    expect(build.map((o) => o.output_type)).toEqual(["display_data", "display_data"]);
    const [table, chart] = build.map((o) => o.data as Record<string, unknown>);
    // Redrawn in place by update_display_data: the last batch is the default line "to be or not to be".
    expect(anyTime(table["text/plain"])).toBe("Word counts · Time: <T> ms · 4 records\nkey  value\nbe   2\nto   2\nnot  1\nor   1");
    expect(table["text/html"]).toContain("<tr><td>be</td><td style=\"text-align:right\">2</td></tr>");
    expect(anyTime(chart["text/plain"])).toBe("Top words · Time: <T> ms · 4 records · bar chart of value by key, 4 rows\n" +
      "key=be value=2 time=<T>\nkey=to value=2 time=<T>\nkey=not value=1 time=<T>\nkey=or value=1 time=<T>");
    const spec = chart["application/vnd.vegalite.v5+json"] as { mark: string; data: { values: Array<{ key: string; value: number }> } };
    expect(spec.mark).toBe("bar");
    expect(spec.data.values.map((v) => [v.key, v.value])).toEqual([["be", 2], ["to", 2], ["not", 1], ["or", 1]]);
    expect(String(chart["image/svg+xml"]).match(/<path aria-label="key: (be|to|not|or); value: \d"/g)).toHaveLength(4);
    expect(wait).toEqual([expect.objectContaining({ output_type: "execute_result", data: { "text/plain": "false" } })]);
    expect(stop).toEqual([expect.objectContaining({ output_type: "execute_result", data: { "text/plain": "STOPPED" } })]);
  });
});

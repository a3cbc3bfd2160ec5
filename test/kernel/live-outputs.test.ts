import { Durations, ManualClock, StreamingContext } from "../../kernel/index";
import { outputHooks } from "../../engine/output-hooks";
import { DisplayContent, DisplayTimers, JupyterDisplay } from "../../kernel/jupyter-display";
import { BundleRenderer, LiveOutput, MimeBundle, setLiveOutputFactory, textOutputFactory } from "../../kernel/live-output";
import { createPrintOutput, installPrint } from "../../kernel/print-output";
import { DStream } from "../../engine/dstream/dstream";
import { clockTime } from "../../kernel/output-view";
import { VEGA_LITE_MIME } from "../../kernel/vega-render";
import { dashboardModel } from "../../kernel/dashboard";

/** Captures what each live output would show: its initial bundle, then every redraw. */
function captureOutputs(): MimeBundle[][] {
  const outputs: MimeBundle[][] = [];
  setLiveOutputFactory((initial) => {
    const shown: MimeBundle[] = [initial];
    outputs.push(shown);
    let chain = Promise.resolve();
    const out: LiveOutput = {
      update: (render: BundleRenderer) => { chain = chain.then(async () => { shown.push(await render()); }); },
      flush: () => chain,
    };
    return out;
  });
  return outputs;
}

describe("notebook outputs in virtual time", () => {
  const T0 = 1513517144000;
  let outputs: MimeBundle[][];
  beforeEach(() => { outputs = captureOutputs(); });
  afterEach(async () => {
    await StreamingContext.stopActive();
    setLiveOutputFactory(textOutputFactory);
    outputHooks.createPrintSink = undefined;
  });

  function wordCounts(batches: string[][]) {
    const clock = new ManualClock(T0);
    const ssc = new StreamingContext({ appName: "t", master: "local[2]", batchDuration: Durations.seconds(1), clock });
    const counts = ssc.queueStream(batches).flatMap((l) => l.split(" ")).mapToPair((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b);
    return { ssc, clock, counts };
  }

  it("display(): one table per batch, sorted, top N, HTML escaped, text beside it", async () => {
    const { ssc, clock, counts } = wordCounts([["b a b <c> b a"], []]);
    counts.display({ title: "Words", sortBy: "value", top: 2 });
    ssc.start();
    await clock.advance(2000);
    const [shown] = outputs;
    expect(shown.map((b) => b["text/plain"])).toEqual([
      "Words · waiting for the first batch",
      "Words · Time: 1513517145000 ms · 3 records · showing the first 2 by value\nkey  value\nb    3\na    2",
      "Words · Time: 1513517146000 ms · 0 records\n(empty batch)",
    ]);
    expect(shown[1]["text/html"]).toBe(
      '<div class="streamlab-display"><div><b>Words</b> · Time: 1513517145000 ms · 3 records · showing the first 2 by value</div>' +
      '<table><thead><tr><th>key</th><th>value</th></tr></thead><tbody><tr><td>b</td><td style="text-align:right">3</td></tr>' +
      '<tr><td>a</td><td style="text-align:right">2</td></tr></tbody></table></div>');
  });

  it("display(): escapes HTML in values", async () => {
    const { ssc, clock, counts } = wordCounts([["<c>&"]]);
    counts.display();
    ssc.start();
    await clock.advance(1000);
    expect(outputs[0][1]["text/html"]).toContain("<td>&lt;c&gt;&amp;</td>");
  });

  it("a failing batch is drawn in its output, and the stream goes on", async () => {
    const clock = new ManualClock(T0);
    const ssc = new StreamingContext({ batchDuration: 1000, clock });
    ssc.queueStream([[1], [0], [2]]).map((x) => { if (x === 0) throw new Error("zero!"); return x; }).display({ title: "xs" });
    ssc.start();
    const failed = ssc.awaitTermination().catch((e: Error) => e);
    await clock.advance(3000);
    const texts = outputs[0].map((b) => b["text/plain"]);
    expect(texts[1]).toBe("xs · Time: 1513517145000 ms · 1 record\nvalue\n1");
    // The last good table stays, with the error below it once (the user's frame: this file has
    // no notebook cell), then a running count while the stream goes on.
    const failure = `✖ xs failed at batch 1513517146000 ms (${clockTime(1513517146000)}): Error: zero!`;
    expect(texts[2]).toBe(`xs · Time: 1513517145000 ms · 1 record\nvalue\n1\n${failure}`);
    expect(texts[3]).toBe(`xs · Time: 1513517147000 ms · 1 record\nvalue\n2\n${failure}`);
    expect(outputs[0][2]["text/html"]).toContain("<details><summary>full stack</summary><pre>Error: zero!");
    expect(((await failed) as Error).message).toBe("zero!");
  });

  it("chart(): a bar chart of the top keys, as Vega-Lite v5 JSON, SVG and text", async () => {
    const { ssc, clock, counts } = wordCounts([["b a b c b a"]]);
    counts.chart({ mark: "bar", top: 2, title: "Top words" });
    ssc.start();
    await clock.advance(1000);
    const bundle = outputs[0][1];
    expect(bundle[VEGA_LITE_MIME]).toEqual({
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      data: { values: [{ key: "b", value: 3, time: 1513517145000 }, { key: "a", value: 2, time: 1513517145000 }] },
      mark: "bar",
      encoding: { x: { field: "key", type: "nominal", sort: "-y" }, y: { field: "value", type: "quantitative" } },
      title: "Top words",
    });
    expect(bundle["text/plain"]).toBe("Top words · Time: 1513517145000 ms · 3 records · bar chart of value by key, 2 rows\nkey=b value=3 time=1513517145000\nkey=a value=2 time=1513517145000");
    const svg = bundle["image/svg+xml"] as string;
    expect(svg).toMatch(/^<svg /);
    expect(svg.match(/<path aria-label="key: [ab]; value: \d+"/g)).toHaveLength(2);
  });

  it("chart({ history }): a time series over the last N batches only", async () => {
    const { ssc, clock, counts } = wordCounts([["a"], ["a a"], ["a a a"]]);
    counts.chart({ history: 2 });
    ssc.start();
    await clock.advance(3000);
    const spec = outputs[0][3][VEGA_LITE_MIME] as { data: { values: unknown[] }; mark: string; encoding: unknown };
    expect(spec.mark).toBe("line");
    expect(spec.data.values).toEqual([{ key: "a", value: 2, time: T0 + 2000 }, { key: "a", value: 3, time: T0 + 3000 }]);
    expect(spec.encoding).toEqual({ x: { field: "time", type: "temporal" }, y: { field: "value", type: "quantitative" }, color: { field: "key", type: "nominal" } });
  });

  it("chart() of plain numbers: a line of the value over batch time, not a bar keyed undefined", async () => {
    const { ssc, clock, counts } = wordCounts([["a"], ["a b"], ["a b c"]]);
    counts.count().chart();
    ssc.start();
    await clock.advance(3000);
    const spec = outputs[0][3][VEGA_LITE_MIME] as { data: { values: unknown[] }; mark: string; encoding: unknown };
    expect(spec.mark).toBe("line");
    expect(spec.data.values).toEqual([{ value: 1, time: T0 + 1000 }, { value: 2, time: T0 + 2000 }, { value: 3, time: T0 + 3000 }]);
    expect(spec.encoding).toEqual({ x: { field: "time", type: "temporal" }, y: { field: "value", type: "quantitative" } });
  });

  it("chart(fullSpec): the user's spec with each batch's rows as data", async () => {
    const { ssc, clock, counts } = wordCounts([["a b"]]);
    counts.chart({ mark: { type: "point" }, encoding: { x: { field: "key", type: "nominal" } } });
    ssc.start();
    await clock.advance(1000);
    expect(outputs[0][1][VEGA_LITE_MIME]).toEqual({
      $schema: "https://vega.github.io/schema/vega-lite/v5.json",
      mark: { type: "point" },
      encoding: { x: { field: "key", type: "nominal" } },
      // Spark's pair order after reduceByKey on local[2]: "b" (hash 98) in partition 0, "a" (97) in 1.
      data: { values: [{ key: "b", value: 1, time: T0 + 1000 }, { key: "a", value: 1, time: T0 + 1000 }] },
    });
  });

  it("ssc.dashboard(): Spark's streaming statistics in human units, the timelines as a live chart, outputs with their errors", async () => {
    const tz = process.env.TZ;
    process.env.TZ = "UTC";
    try {
      const { ssc, clock, counts } = wordCounts([["a b", "c"], ["d"]]);
      counts.print();
      counts.foreachRDD((rdd) => {
        if (rdd.count() === 1) throw Object.assign(new Error("cannot handle one word"), { code: "APP_ONE_WORD" });
      });
      ssc.dashboard({ rows: 2 });
      const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
      const err = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
      try {
        ssc.start();
        await clock.advance(3000);
      } finally {
        out.mockRestore();
        err.mockRestore();
      }
      await new Promise((r) => setImmediate(r));
      const [summary, chart, tables] = outputs;
      expect(summary[0]["text/plain"]).toBe([
        "Streaming Statistics · t · batches of 1 s · not started · 0 completed batches, 0 records",
        "  Input rate: -", "  Scheduling delay: -", "  Processing time: -", "  Total delay: -",
        "  (averages over the last 0 batches)", "  Streaming UI: -",
      ].join("\n"));
      expect(summary[summary.length - 1]["text/plain"]).toBe([
        "Streaming Statistics · t · batches of 1 s · running for 3 s since 2017/12/17 13:25:44 · 3 completed batches, 3 records",
        "  Input rate: 1.00 records/sec", "  Scheduling delay: 0 ms", "  Processing time: 0 ms", "  Total delay: 0 ms",
        "  (averages over the last 3 batches)", "  Streaming UI: -",
      ].join("\n"));
      expect(tables[tables.length - 1]["text/plain"]).toBe([
        "Active batches (0: running and queued)",
        "(none)",
        "Completed batches (latest first)",
        "Batch time                              Input size  Scheduling delay  Processing time  Total delay  Output ops: succeeded/total",
        "2017/12/17 13:25:47 (1513517147000 ms)  0 records   0 ms              0 ms             0 ms         2/2",
        "2017/12/17 13:25:46 (1513517146000 ms)  1 records   0 ms              0 ms             0 ms         1/2 (1 failed)",
        "Output operations",
        "Output  Name        Status  Succeeded  Failed  Last error",
        "0       print       ok      3          0       -",
        "1       foreachRDD  ok      2          1       [APP_ONE_WORD] Error: cannot handle one word (batch 2017/12/17 13:25:46 (1513517146000 ms))",
        "Checkpoint",
        "  no checkpoint directory (ssc.checkpoint(dir) turns checkpointing on)",
        "  not restored: started fresh",
      ].join("\n"));
      const spec = chart[chart.length - 1][VEGA_LITE_MIME] as { data: { values: Array<Record<string, unknown>> }; vconcat: Array<{ title: { text: string } }> };
      expect(spec.vconcat.map((c) => c.title.text)).toEqual(["Input Rate", "Scheduling Delay", "Processing Time", "Total Delay"]);
      expect(spec.data.values).toEqual([
        { time: T0 + 1000, inputRate: 2, schedulingDelay: 0, processingTime: 0, totalDelay: 0 },
        { time: T0 + 2000, inputRate: 1, schedulingDelay: 0, processingTime: 0, totalDelay: 0 },
        { time: T0 + 3000, inputRate: 0, schedulingDelay: 0, processingTime: 0, totalDelay: 0 },
      ]);
      expect(String(chart[chart.length - 1]["image/svg+xml"])).toMatch(/^<svg/);
      expect(JSON.stringify(spec)).toContain('"datum":1000');
    } finally {
      process.env.TZ = tz;
    }
  });

  it("ssc.dashboard() made after start (the kernel tracks each context from its creation) shows every batch since start and the outputs stopped before it", async () => {
    const tz = process.env.TZ;
    process.env.TZ = "UTC";
    outputHooks.onContextCreated = (ssc) => { dashboardModel(ssc); };
    try {
      const clock = new ManualClock(T0);
      const ssc = new StreamingContext({ appName: "late", master: "local[2]", batchDuration: Durations.seconds(1), clock, conf: { "streamlab.graph.liveChanges": true } });
      const counts = ssc.queueStream([["a b"], ["c"], ["d"], ["e"]]).flatMap((l) => l.split(" ")).count();
      counts.print();
      const extra = counts.foreachRDD(() => undefined);
      const out = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
      try {
        ssc.start();
        await clock.advance(2000);
        const stopped = extra.stop("no longer needed");
        await clock.advance(1000);
        await stopped;
      } finally {
        out.mockRestore();
      }
      ssc.dashboard({ rows: 5 });
      await new Promise((r) => setImmediate(r));
      const [summary, , tables] = outputs.slice(-3);
      expect(summary[0]["text/plain"].split("\n")[0]).toBe(
        "Streaming Statistics · late · batches of 1 s · running for 3 s since 2017/12/17 13:25:44 · 3 completed batches, 3 records");
      expect(tables[0]["text/plain"].split("\n").slice(2, 11)).toEqual([
        "Completed batches (latest first)",
        "Batch time                              Input size  Scheduling delay  Processing time  Total delay  Output ops: succeeded/total",
        "2017/12/17 13:25:47 (1513517147000 ms)  1 records   0 ms              0 ms             0 ms         1/1",
        "2017/12/17 13:25:46 (1513517146000 ms)  1 records   0 ms              0 ms             0 ms         2/2",
        "2017/12/17 13:25:45 (1513517145000 ms)  1 records   0 ms              0 ms             0 ms         2/2",
        "Output operations",
        "Output  Name        Status                     Succeeded  Failed  Last error",
        "0       print       ok                         3          0       -",
        "1       foreachRDD  stopped: no longer needed  2          0       -",
      ]);
    } finally {
      process.env.TZ = tz;
      outputHooks.onContextCreated = undefined;
    }
  });

  it("print() in a notebook keeps Spark's text of the latest 3 batches in one output", async () => {
    outputHooks.createPrintSink = (stream, num) => createPrintOutput(stream, num);
    const { ssc, clock, counts } = wordCounts([["a"], ["b"], ["c"], ["d"]]);
    counts.print();
    ssc.start();
    await clock.advance(4000);
    const last = outputs[0][outputs[0].length - 1]["text/plain"];
    const batch = (t: number, w: string) => `-------------------------------------------\nTime: ${T0 + t} ms\n-------------------------------------------\n(${w},1)\n\n`;
    expect(last).toBe(batch(2000, "b") + batch(3000, "c") + batch(4000, "d"));
  });

  describe("print(num, options) in a notebook", () => {
    const enginePrint = DStream.prototype.print;
    beforeEach(() => { outputHooks.createPrintSink = (stream, num) => createPrintOutput(stream, num); installPrint(); });
    afterEach(() => { DStream.prototype.print = enginePrint; });
    const header = (t: number) => `-------------------------------------------\nTime: ${T0 + t} ms\n-------------------------------------------\n`;
    const batch = (t: number, w: string) => `${header(t)}(${w},1)\n\n`;

    it("history keeps more batches; empty: \"collapse\" folds each run of empty batches into one line", async () => {
      const { ssc, clock, counts } = wordCounts([["a"], [], [], [], ["b"], []]);
      counts.print(10, { history: 5, empty: "collapse" });
      ssc.start();
      await clock.advance(6000);
      expect(outputs[0][outputs[0].length - 1]["text/plain"]).toBe(
        batch(1000, "a") + `… 3 empty batches, ${T0 + 2000} ms to ${T0 + 4000} ms …\n\n` + batch(5000, "b") + header(6000) + "\n");
    });

    it("empty: \"skip\" shows only batches with records, so a typed line stays on screen", async () => {
      const { ssc, clock, counts } = wordCounts([["a"], [], ["b"], [], [], []]);
      counts.print(10, { empty: "skip", history: 2 });
      ssc.start();
      await clock.advance(6000);
      expect(outputs[0][outputs[0].length - 1]["text/plain"]).toBe(batch(1000, "a") + batch(3000, "b"));
    });
  });
});

describe("JupyterDisplay: display ids and coalescing", () => {
  function fakeTimers() {
    let now = 0;
    const due: Array<{ at: number; fn: () => void }> = [];
    const timers: DisplayTimers = { now: () => now, setTimeout: (fn, ms) => due.push({ at: now + ms, fn }) };
    const advance = (ms: number) => {
      now += ms;
      for (const t of due.filter((d) => d.at <= now)) { due.splice(due.indexOf(t), 1); t.fn(); }
    };
    return { timers, advance };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  it("sends display_data once, then update_display_data with the same id, at most one per interval, latest wins", async () => {
    const sent: Array<{ content: DisplayContent; update: boolean }> = [];
    const { timers, advance } = fakeTimers();
    const d = new JupyterDisplay((content, update) => sent.push({ content, update }), { "text/plain": "start" }, 100, timers);
    d.update(() => ({ "text/plain": "1" }));        // due at once
    await settle();
    d.update(() => ({ "text/plain": "2" }));        // within 100 ms: waits
    d.update(() => ({ "text/plain": "3" }));        // replaces 2
    await settle();
    expect(sent.map((s) => [s.update, s.content.data["text/plain"]])).toEqual([[false, "start"], [true, "1"]]);
    advance(100);
    await settle();
    expect(sent.map((s) => [s.update, s.content.data["text/plain"]])).toEqual([[false, "start"], [true, "1"], [true, "3"]]);
    expect(new Set(sent.map((s) => s.content.transient.display_id))).toEqual(new Set([d.displayId]));
    expect(sent[0].content).toEqual({ data: { "text/plain": "start" }, metadata: {}, transient: { display_id: d.displayId } });
  });

  it("a renderer that throws shows the error in the same output", async () => {
    const sent: DisplayContent[] = [];
    const d = new JupyterDisplay((content) => sent.push(content), { "text/plain": "" }, 0);
    d.update(() => { throw new Error("bad spec"); });
    await d.flush();
    expect(sent[1].data["text/plain"]).toBe("streamlab: could not render this output: bad spec");
  });
});

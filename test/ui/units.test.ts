import { formatBatchTime, formatBytes, formatDate, formatDuration, formatRate } from "../../ui/model/units";
import { graphSvg, nodeDetail } from "../../ui/model/graph-svg";
import { applyUpdate, UiState } from "../../ui/model/ui-state";

describe("human units of the page and the dashboard", () => {
  it("durations in ms, s, min, h", () => {
    expect([0, 162, 999, 1000, 1500, 9999, 10_000, 59_400, 60_000, 123_000, 3_599_000, 3_600_000, 5_460_000, 162769923].map(formatDuration)).toEqual([
      "0 ms", "162 ms", "999 ms", "1 s", "1.5 s", "10 s", "10 s", "59 s", "1 min", "2 min 3 s", "59 min 59 s", "1 h", "1 h 31 min", "45 h 12 min",
    ]);
    expect([undefined, NaN].map(formatDuration)).toEqual(["-", "-"]);
  });

  it("batch times as local dates with the ms value beside them", () => {
    const tz = process.env.TZ;
    process.env.TZ = "UTC";
    try {
      expect(formatBatchTime(1704942000000)).toBe("2024/01/11 03:00:00 (1704942000000 ms)");
      expect(formatBatchTime(1704942000250)).toBe("2024/01/11 03:00:00.250 (1704942000250 ms)");
      expect(formatDate(1704942000250, false)).toBe("2024/01/11 03:00:00");
    } finally {
      process.env.TZ = tz;
    }
  });

  it("bytes and rates", () => {
    expect([512, 1536, 12.3 * 1048576, 1.02 * 1073741824].map(formatBytes)).toEqual(["512 B", "1.50 KiB", "12.3 MiB", "1.02 GiB"]);
    expect(formatRate(1234.567)).toBe("1,234.57 records/sec");
  });
});

describe("the page's model on the browser side", () => {
  const empty = (): UiState => ({
    app: { appName: "a", master: "local[2]", batchDuration: 1000, retainedBatches: 2, state: "running", pid: 1 },
    graph: [], completed: [], active: [], activeTotal: 0, totalCompleted: 0, totalRecords: 0, receivers: [], outputs: [], checkpoint: { written: 0, walEnabled: false }, rates: [], memory: [],
  });
  const batch = (t: number) => ({ batchTime: t, submissionTime: t, numRecords: 1, inputs: {}, ops: [] });

  it("applyUpdate appends completed batches in order, skips ones it has, keeps retainedBatches, merges outputs by id", () => {
    const s = empty();
    applyUpdate(s, { completed: [batch(1000), batch(2000)], outputs: [{ id: 1, name: "print", status: "ok", succeeded: 1, failed: 0 }] });
    applyUpdate(s, { completed: [batch(2000), batch(3000)], outputs: [{ id: 0, name: "foreachRDD", status: "failing", succeeded: 0, failed: 1 }] });
    expect(s.completed.map((b) => b.batchTime)).toEqual([2000, 3000]);
    expect(s.outputs.map((o) => [o.id, o.status])).toEqual([[0, "failing"], [1, "ok"]]);
  });

  it("the graph picture names every operator, its batch size and its state", () => {
    const nodes = [
      { id: 0, kind: "SocketInputDStream", parents: [], slideDuration: 1000, input: true, stateful: false, records: 12, sizeBatchTime: 1 },
      { id: 1, kind: "StateDStream", parents: [0], slideDuration: 1000, input: false, stateful: true, records: 3, stateSize: 3, sizeBatchTime: 1 },
      { id: 2, kind: "ForEachDStream", parents: [1], slideDuration: 1000, input: false, stateful: false, outputOpId: 0, outputOpName: "print" },
    ];
    expect(nodes.map(nodeDetail)).toEqual(["12 records", "3 records · state: 3 keys", "output operation"]);
    const svg = graphSvg(nodes);
    expect([...svg.matchAll(/data-stream-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([0, 1, 2]);
    expect(svg).toContain(">print (output 0) #2<");
    expect((svg.match(/marker-end="url\(#arrow\)"/g) ?? []).length).toBe(2);
  });
});

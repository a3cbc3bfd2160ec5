"""Latency of the streamlab kernel's live outputs, measured on a real kernel driven by jupyter_client.

    .venv/bin/python test/bench/kernel-latency.py [--seconds 30] [--rate 100000] [--batch-ms 200] [--json FILE]

(needs `npm install`: the built kernel in dist/ and its kernelspec in .venv.)

It measures:
1. batch end -> update_display_data sent, for a live table (display) and a live chart (chart) of
   a word count over a loopback socket fed at --rate lines/s. "Batch end" is the moment the
   engine reports the batch completed (onBatchCompleted, Spark's BatchInfo.processingEndTime);
   "sent" is the moment the kernel handed the message to its IOPub socket. Both are taken inside
   the kernel with the same high-resolution clock (a bench cell wraps tslab's display writer and
   adds a StreamingListener); a negative figure means the update left before the batch's last
   output operation had finished (the table is drawn inside its own output operation, before the
   chart's operation runs). The same is given from the end of the output operation that draws it
   (onOutputOperationCompleted), which isolates the kernel's own part: coalescing and rendering.
2. a cell's round trip, execute_request -> execute_reply as the client sees it, for `1 + 1`:
   first with no stream, then while the stream runs at the input rate above.

Everything stays on 127.0.0.1; the line server and the run stop by themselves.
"""
import argparse
import json
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time

from jupyter_client.manager import start_new_kernel

VOCABULARY = [f"w{i:03d}" for i in range(500)]


class LineServer:
    """Serves lines of 8 words (from a 500-word vocabulary) at `rate` lines/s to each client, for at most `limit_s`."""

    def __init__(self, rate, limit_s):
        self.rate, self.limit_s = rate, limit_s
        self.sent_lines = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        lines = [" ".join(VOCABULARY[(i * 7 + j * 31) % len(VOCABULARY)] for j in range(8)) for i in range(1000)]
        self.chunk = ("\n".join(lines) + "\n").encode()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        start = time.perf_counter()
        with conn:
            while not self.stopped.is_set() and time.perf_counter() - start < self.limit_s:
                due = (time.perf_counter() - start) * self.rate
                if self.sent_lines + 1000 <= due:
                    try:
                        conn.sendall(self.chunk)
                    except OSError:
                        return
                    self.sent_lines += 1000
                else:
                    time.sleep(0.002)

    def close(self):
        self.stopped.set()
        self.sock.close()


STREAM_CELL = """import { StreamingContext } from "streamlab";
// Bench instrumentation: the moment each display message leaves, the moment each batch completes.
const benchLog = { sends: [] as Array<[string, boolean, number, number, boolean]>, ends: {} as Record<number, [number, number, number]>, opEnds: [] as Array<[number, number, number]> };
const benchNow = () => performance.timeOrigin + performance.now();
{
  const jupyter = require.main!.require("tslab/dist/jupyter.js");
  let writer = jupyter.lastWriteDisplayData;
  Object.defineProperty(jupyter, "lastWriteDisplayData", {
    configurable: true,
    set(w: unknown) { writer = w; },
    get() {
      return writer && ((content: any, update: boolean) => {
        writer(content, update);
        const time = /Time: (\\d+) ms/.exec(content.data["text/plain"]);
        benchLog.sends.push([content.transient.display_id, update, time ? Number(time[1]) : -1, benchNow(), "application/vnd.vegalite.v5+json" in content.data]);
      });
    },
  });
}
const ssc = new StreamingContext({ appName: "KernelLatencyBench", master: "local[2]", batchDuration: %(batch_ms)d });
ssc.addStreamingListener({
  onOutputOperationCompleted: ({ outputOperationInfo: o }) => { benchLog.opEnds.push([o.batchTime, o.id, benchNow()]); },
  onBatchCompleted: ({ batchInfo: b }) => { benchLog.ends[b.batchTime] = [benchNow(), b.numRecords, b.processingDelay ?? -1]; },
});
const counts = ssc.socketTextStream("127.0.0.1", %(port)d).flatMap((l) => l.split(" ")).mapToPair((w) => [w, 1]).reduceByKey((a, b) => a + b);
counts.display({ title: "Word counts", sortBy: "value", top: 20 });
counts.chart({ mark: "bar", top: 20, title: "Top words" });
ssc.start();
"""

RESULT_CELL = "JSON.stringify(benchLog)"


def percentile(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.TemporaryDirectory()
        self.km, self.kc = start_new_kernel(kernel_name="streamlab", cwd=self.tmp.name)

    def close(self):
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=False)
        finally:
            self.tmp.cleanup()

    def drain_iopub(self):
        while self.kc.iopub_channel.msg_ready():
            self.kc.get_iopub_msg(timeout=0)

    def execute(self, code, timeout=60):
        """Runs a cell; returns (round trip in ms, reply content, text/plain of its execute_result or None)."""
        self.drain_iopub()
        start = time.perf_counter()
        msg_id = self.kc.execute(code)
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        rtt = (time.perf_counter() - start) * 1000
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"cell failed: {reply['content']}")
        result = None
        deadline = time.time() + timeout
        while True:  # the cell's IOPub (its result) up to idle
            msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "execute_result":
                result = msg["content"]["data"]["text/plain"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return rtt, reply["content"], result

    def round_trips(self, n, gap_s):
        rtts = []
        for _ in range(n):
            rtt, _, result = self.execute("1 + 1")
            assert result == "2", result
            rtts.append(rtt)
            time.sleep(gap_s)
        return rtts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="how long the stream runs (default 30)")
    parser.add_argument("--rate", type=int, default=100_000, help="input lines per second, 8 words each (default 100000)")
    parser.add_argument("--batch-ms", type=int, default=200, help="batch interval in ms (default 200)")
    parser.add_argument("--round-trips", type=int, default=60, help="cells timed in each phase (default 60)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    server = LineServer(args.rate, args.seconds + 60)
    bench = Bench(args)
    try:
        for _ in range(5):  # warm up tslab's compiler
            bench.execute("1 + 1")
        idle_rtts = bench.round_trips(args.round_trips, 0.05)

        bench.execute(STREAM_CELL % {"batch_ms": args.batch_ms, "port": server.port})
        started = time.time()
        time.sleep(3)  # let the receiver and the first batches settle
        gap = max(0.05, (args.seconds - 3) / args.round_trips - 0.05)
        load_rtts = bench.round_trips(args.round_trips, gap)
        time.sleep(max(0, args.seconds - (time.time() - started)))
        _, _, raw = bench.execute(RESULT_CELL)
        bench.execute("await ssc.stop(); ssc.getState()")
        data = json.loads(raw)
    finally:
        bench.close()
        server.close()

    ends = {int(t): v for t, v in data["ends"].items()}
    charts = {display_id for display_id, _, _, _, vega in data["sends"] if vega}
    # The cell registers display() first (output operation 0), then chart() (output operation 1).
    op_of_kind = {"table": 0, "chart": 1}
    op_ends = {(t, op): at for t, op, at in data["opEnds"]}
    latencies = {"table": [], "chart": []}
    from_op_end = {"table": [], "chart": []}
    updates_per_kind = {"table": 0, "chart": 0}
    for display_id, update, batch_time, sent_at, _ in data["sends"]:
        if not update:
            continue
        kind = "chart" if display_id in charts else "table"
        updates_per_kind[kind] += 1
        if batch_time in ends:
            latencies[kind].append(sent_at - ends[batch_time][0])
        if (batch_time, op_of_kind[kind]) in op_ends:
            from_op_end[kind].append(sent_at - op_ends[(batch_time, op_of_kind[kind])])
    batches = len(ends)
    records = sum(v[1] for v in ends.values())
    processing = [v[2] for v in ends.values() if v[2] >= 0]
    span_s = batches * args.batch_ms / 1000

    rows = [
        ("batch end -> update_display_data sent, table", latencies["table"]),
        ("batch end -> update_display_data sent, chart", latencies["chart"]),
        ("its output op's end -> update sent, table", from_op_end["table"]),
        ("its output op's end -> update sent, chart", from_op_end["chart"]),
        ("cell round trip (1 + 1), no stream", idle_rtts),
        ("cell round trip (1 + 1), stream running", load_rtts),
    ]
    print(f"streamlab kernel latency: {batches} batches of {args.batch_ms} ms, "
          f"{records / span_s:,.0f} lines/s received (target {args.rate:,}), {records * 8 / span_s:,.0f} words/s; "
          f"batch processing time p50 {percentile(processing, 50):.0f} ms, p99 {percentile(processing, 99):.0f} ms; "
          f"updates sent: table {updates_per_kind['table']}, chart {updates_per_kind['chart']}; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print()
    print(f"| {'measure':<46} | {'n':>4} | {'p50 ms':>7} | {'p99 ms':>7} | {'max ms':>7} |")
    print(f"|{'-' * 48}|{'-' * 6}|{'-' * 9}|{'-' * 9}|{'-' * 9}|")
    figures = {}
    for name, values in rows:
        p50, p99, mx = percentile(values, 50), percentile(values, 99), max(values) if values else float("nan")
        figures[name] = {"n": len(values), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2), "max_ms": round(mx, 2)}
        print(f"| {name:<46} | {len(values):>4} | {p50:>7.2f} | {p99:>7.2f} | {mx:>7.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "batches": batches, "lines_per_s": records / span_s, "figures": figures}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

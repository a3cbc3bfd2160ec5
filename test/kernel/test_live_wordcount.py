"""Drives a real `streamlab` kernel with jupyter_client (run by test/kernel/live-wordcount.test.ts).

A cell builds a word count over a loopback line server (127.0.0.1, port 0, served by this test)
and starts it; ssc.start() returns at once. The test then checks, on the raw IOPub channel:
- the cell sends one display_data, then batches send update_display_data with the same display id
  and growing totals;
- another cell executes and returns its result while the stream runs;
- an interrupt during `await ssc.awaitTermination()` returns control and the stream keeps updating;
- after SIGKILL of the kernel, a restart and a re-run of the cell (getOrCreate), the totals continue
  from the checkpoint instead of starting again from zero.
"""
import os
import re
import signal
import socket
import tempfile
import threading
import time
import unittest

from jupyter_client.manager import start_new_kernel

LINE = b"hello streamlab hello\n"  # 2 x hello per line
LINE_EVERY_S = 0.05


class LineServer:
    """Writes LINE to every client every LINE_EVERY_S seconds, like `nc -lk` fed by a loop."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._feed, args=(conn,), daemon=True).start()

    def _feed(self, conn):
        deadline = time.time() + 120  # bounded: the server stops by itself
        with conn:
            while not self.stopped.is_set() and time.time() < deadline:
                try:
                    conn.sendall(LINE)
                except OSError:
                    return
                time.sleep(LINE_EVERY_S)

    def close(self):
        self.stopped.set()
        self.sock.close()


CELL = """import {{ StreamingContext }} from "streamlab";
const ssc = StreamingContext.getOrCreate({cp}, () => {{
  // The write-ahead log makes the socket's data replayable after a crash (Spark: zero data loss
  // for receivers needs it too); state is checkpointed at Spark's default interval.
  const ssc = new StreamingContext({{ appName: "LiveWordCount", master: "local[2]", batchDuration: 300,
    conf: {{ "spark.streaming.receiver.writeAheadLog.enable": true }} }});
  ssc.checkpoint({cp});
  const totals = ssc.socketTextStream("127.0.0.1", {port})
    .flatMap((line) => line.split(" "))
    .mapToPair((w) => [w, 1])
    .updateStateByKey((values: number[], state?: number) => values.reduce((a, b) => a + b, state ?? 0));
  totals.display({{ title: "Word totals", sortBy: "key", ascending: true }});
  return ssc;
}});
ssc.start();
"""

HELLO = re.compile(r"^hello\s+(\d+)$", re.M)


class LiveWordCountTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.server = LineServer()
        self.km, self.kc = start_new_kernel(kernel_name="streamlab", cwd=self.tmp.name)
        self.cell = CELL.format(cp='"' + os.path.join(self.tmp.name, "cp") + '"', port=self.server.port)

    def tearDown(self):
        try:
            self.kc.stop_channels()
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=False)
        finally:
            self.server.close()
            self.tmp.cleanup()

    # ---- helpers --------------------------------------------------------------------------

    def execute(self, code, timeout=30):
        """Runs a cell; returns (reply content, IOPub messages of that cell, other IOPub messages seen)."""
        msg_id = self.kc.execute(code)
        own, other = [], []
        deadline = time.time() + timeout
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.time()))
            if msg["parent_header"].get("msg_id") != msg_id:
                other.append(msg)
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            own.append(msg)
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["msg_type"] == "kernel_info_reply":  # left over from wait_for_ready
            reply = self.kc.get_shell_msg(timeout=timeout)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        return reply["content"], own, other

    def updates(self, display_id, n, timeout=20):
        """Collects IOPub until `n` update_display_data for `display_id` arrived; returns their hello totals."""
        totals = []
        deadline = time.time() + timeout
        while len(totals) < n:
            left = deadline - time.time()
            self.assertGreater(left, 0, f"only {len(totals)} of {n} updates of display {display_id} in {timeout} s: {totals}")
            msg = self.kc.get_iopub_msg(timeout=left)
            totals += self.hello_totals([msg], display_id)
        return totals

    def hello_totals(self, msgs, display_id):
        totals = []
        for m in msgs:
            if m["msg_type"] == "update_display_data" and m["content"]["transient"]["display_id"] == display_id:
                found = HELLO.search(m["content"]["data"]["text/plain"])
                if found:
                    totals.append(int(found.group(1)))
        return totals

    def start_word_count(self):
        reply, own, _ = self.execute(self.cell)
        self.assertEqual(reply["status"], "ok", reply)
        displays = [m for m in own if m["msg_type"] == "display_data"]
        self.assertEqual(len(displays), 1, [m["msg_type"] for m in own])
        data = displays[0]["content"]["data"]
        self.assertIn("text/html", data)
        self.assertEqual(data["text/plain"], "Word totals · waiting for the first batch")
        return displays[0]["content"]["transient"]["display_id"]

    def assert_growing(self, totals):
        self.assertEqual(totals, sorted(totals), totals)
        self.assertLess(totals[0], totals[-1], totals)
        for t in totals:
            self.assertEqual(t % 2, 0, "each line adds 2 x hello")

    # ---- the scenario ---------------------------------------------------------------------

    def test_live_word_count(self):
        display_id = self.start_word_count()
        totals = self.updates(display_id, 3)
        self.assert_growing(totals)

        # Another cell runs while the stream runs, and returns its result.
        reply, own, other = self.execute("6 * 7")
        self.assertEqual(reply["status"], "ok")
        results = [m["content"]["data"]["text/plain"] for m in own if m["msg_type"] == "execute_result"]
        self.assertEqual(results, ["42"])

        # Interrupt during awaitTermination: control returns, the stream keeps updating.
        msg_id = self.kc.execute("await ssc.awaitTermination();")
        time.sleep(1.0)
        self.km.interrupt_kernel()
        reply = self.kc.get_shell_msg(timeout=10)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.assertEqual(reply["content"]["traceback"], ["Interrupted: " + reply["content"]["evalue"]])
        after_interrupt = self.updates(display_id, 3)
        self.assert_growing(totals + after_interrupt)
        # Like ipykernel's stop_on_error, tslab aborts requests that arrive within 200 ms of an error.
        time.sleep(0.5)
        reply, own, _ = self.execute("ssc.getState()")
        self.assertEqual(reply["status"], "ok")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in own if m["msg_type"] == "execute_result"], ["ACTIVE"])

    def test_shutdown_stops_the_context_gracefully(self):
        """Kernel shutdown stops the running context gracefully and the kernel exits by itself."""
        display_id = self.start_word_count()
        self.updates(display_id, 2)
        self.kc.stop_channels()
        started = time.time()
        self.km.shutdown_kernel(now=False)
        elapsed = time.time() - started
        # jupyter_client waits up to 5 s for the kernel to exit, then kills it.
        self.assertLess(elapsed, 4.5, "the kernel did not exit by itself after shutdown_request")
        self.assertFalse(self.km.is_alive())
        checkpoints = [f for f in os.listdir(os.path.join(self.tmp.name, "cp")) if f.startswith("checkpoint-")]
        self.assertTrue(checkpoints, "no checkpoint written")

    def test_resume_after_sigkill(self):
        """SIGKILL, restart, re-run of the cell (getOrCreate): the totals continue from the checkpoint."""
        display_id = self.start_word_count()
        before_kill = self.updates(display_id, 4)[1:]
        surely_checkpointed = before_kill[0]
        os.kill(self.km.provisioner.process.pid, signal.SIGKILL)
        self.km.restart_kernel(now=True)
        self.kc.stop_channels()
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=30)
        display_id = self.start_word_count()
        # The first updates may be the replayed down-time batches, which had no input (the receiver
        # was dead) and so repeat the restored total; new lines follow once the receiver reconnects.
        resumed = self.updates(display_id, 12)
        self.assert_growing(resumed)
        self.assertGreaterEqual(resumed[0], surely_checkpointed, f"restarted from zero? before kill {before_kill}, after {resumed}")


if __name__ == "__main__":
    unittest.main()

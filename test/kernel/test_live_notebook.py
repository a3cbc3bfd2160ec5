"""A live notebook at the protocol level: a real `streamlab` kernel driven by jupyter_client the way
JupyterLab drives it (execute_requests carry the cell's `cellId` in their metadata). Run by
test/kernel/live-notebook.test.ts, one jest test per method.

Every message is kept with its arrival time, so each test can assert which request it belongs to
(its parent header) as well as what it says.
"""
import os
import re
import signal
import tempfile
import threading
import time
import unittest
import uuid

from jupyter_client.manager import start_new_kernel

BATCH_MS = 300

# A context on a queue of words that never runs dry: the queue refills itself every batch.
CONTEXT_CELL = """import {{ StreamingContext, Durations }} from "streamlab";
const ssc = new StreamingContext({{ appName: "live", master: "local[2]", batchDuration: {batch} }});
const queue: string[][] = [];
const words = ssc.queueStream(queue, true, ["hello", "bye", "hello"]);
const counts = words.countByValue();
counts.display({{ title: "counts", sortBy: "key", ascending: true }});
ssc.start();
"""


class LiveNotebookTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.km, self.kc = start_new_kernel(kernel_name="streamlab", cwd=self.tmp.name)
        self.iopub = []  # (arrival time, message)
        self.cells = {}

    def tearDown(self):
        try:
            self.kc.stop_channels()
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        finally:
            self.tmp.cleanup()

    # ---- helpers --------------------------------------------------------------------------

    def cell_id(self, name):
        """A stable cellId per notebook cell name, as JupyterLab sends."""
        return self.cells.setdefault(name, str(uuid.uuid4()))

    def send(self, code, cell=None, stop_on_error=True):
        """Sends an execute_request for `cell` (a name) without waiting; returns its msg_id."""
        content = dict(code=code, silent=False, store_history=True, user_expressions={}, allow_stdin=False, stop_on_error=stop_on_error)
        msg = self.kc.session.msg("execute_request", content)
        if cell is not None:
            msg["metadata"]["cellId"] = self.cell_id(cell)
        self.kc.shell_channel.send(msg)
        return msg["header"]["msg_id"]

    def pump(self, seconds):
        """Reads IOPub for `seconds`."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                self.iopub.append((time.time(), self.kc.get_iopub_msg(timeout=max(0.01, deadline - time.time()))))
            except Exception:
                pass

    def reply(self, msg_id, timeout=30):
        deadline = time.time() + timeout
        while True:
            msg = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.time()))
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def wait_idle(self, msg_id, timeout=30):
        """Reads IOPub until the idle status of `msg_id`."""
        deadline = time.time() + timeout
        while True:
            self.assertGreater(deadline - time.time(), 0, "no idle for " + msg_id)
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.05, deadline - time.time()))
            except Exception:
                continue
            self.iopub.append((time.time(), msg))
            if msg["msg_type"] == "status" and msg["parent_header"].get("msg_id") == msg_id and msg["content"]["execution_state"] == "idle":
                return

    def execute(self, code, cell=None, timeout=30, stop_on_error=True):
        """Runs a cell to its idle; returns (reply content, the IOPub messages parented to it)."""
        msg_id = self.send(code, cell, stop_on_error)
        reply = self.reply(msg_id, timeout)
        self.wait_idle(msg_id, timeout)
        return reply["content"], self.of(msg_id)

    def of(self, msg_id):
        return [m for _, m in self.iopub if m["parent_header"].get("msg_id") == msg_id]

    def displays(self, msgs):
        return [m for m in msgs if m["msg_type"] == "display_data"]

    def updates(self, display_id, since=0.0):
        return [m for t, m in self.iopub if t >= since and m["msg_type"] == "update_display_data" and m["content"]["transient"]["display_id"] == display_id]

    def wait_for_update(self, display_id, pattern, timeout=20):
        """Reads IOPub until an update of `display_id` whose text/plain matches; returns that text."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for _, m in reversed(self.iopub):
                if m["msg_type"] == "update_display_data" and m["content"]["transient"]["display_id"] == display_id:
                    text = m["content"]["data"]["text/plain"]
                    if re.search(pattern, text):
                        return text
                    break
            self.pump(0.2)
        self.fail(f"no update of {display_id} matching {pattern!r} in {timeout} s; last: {[m['content']['data']['text/plain'] for m in self.updates(display_id)][-1:]}")

    def start_context(self):
        reply, msgs = self.execute(CONTEXT_CELL.format(batch=BATCH_MS), cell="context")
        self.assertEqual(reply["status"], "ok", reply)
        shown = self.displays(msgs)
        self.assertEqual(len(shown), 1, [m["msg_type"] for m in msgs])
        display_id = shown[0]["content"]["transient"]["display_id"]
        self.wait_for_update(display_id, r"hello\s+2")
        return display_id

    # ---- protocol ---------------------------------------------------------------------------

    def test_busy_idle_follow_each_request_in_order(self):
        """Queued requests: each one's busy comes after the previous one's idle, so the status
        bar says Busy while any cell runs."""
        self.pump(0.5)
        first = self.send("await new Promise((r) => setTimeout(r, 800)); 1", cell="a")
        second = self.send("2", cell="b")
        self.reply(first)
        self.reply(second)
        self.wait_idle(second)
        states = [(m["parent_header"]["msg_id"], m["content"]["execution_state"]) for _, m in self.iopub
                  if m["msg_type"] == "status" and m["parent_header"].get("msg_id") in (first, second)]
        self.assertEqual(states, [(first, "busy"), (first, "idle"), (second, "busy"), (second, "idle")])
        for msg_id in (first, second):
            own = self.of(msg_id)
            self.assertEqual(own[0]["msg_type"], "status")
            self.assertEqual(own[-1]["content"].get("execution_state"), "idle")

    def test_background_messages_never_carry_an_unrelated_cells_parent(self):
        """A map that throws on "bye": its error shows once, in its own display, then a running
        count; an unrelated `1 + 1` gets exactly busy, execute_input, its result 2, idle; while no
        cell runs, updates go to the request of the cell that defined the output."""
        counts_display = self.start_context()
        reply, msgs = self.execute(
            'words.map((w) => { if (w === "bye") throw new Error("cannot handle " + w); return w; }).print();', cell="failing")
        self.assertEqual(reply["status"], "ok", reply)
        failing_request = msgs[0]["parent_header"]["msg_id"]
        print_displays = self.displays(msgs)
        self.assertEqual(len(print_displays), 1)
        print_id = print_displays[0]["content"]["transient"]["display_id"]
        text = self.wait_for_update(print_id, r"failed in [3-9]\d* batches since")
        self.assertEqual(len(re.findall(r"cannot handle bye", text)), 2, text)  # the first error, and "last: ..."
        self.assertIn("Error: cannot handle bye", text)
        self.assertRegex(text, r"in cell \[\d+\] line 1: words\.map")
        self.pump(1.0)

        reply, own = self.execute("1 + 1", cell="unrelated")
        self.assertEqual(reply["status"], "ok")
        self.assertEqual([m["msg_type"] for m in own], ["status", "execute_input", "execute_result", "status"])
        self.assertEqual(own[2]["content"]["data"]["text/plain"], "2")
        self.pump(1.5)

        # Nothing else was ever parented to `1 + 1`, and no stream/error went anywhere.
        self.assertEqual([m["msg_type"] for _, m in self.iopub if m["msg_type"] in ("stream", "error")], [])
        # With no cell running, each update goes to the request that defined its display.
        idle_updates = [m for m in self.updates(print_id)[-3:]]
        self.assertTrue(idle_updates)
        for m in idle_updates:
            self.assertEqual(m["parent_header"]["msg_id"], failing_request)
        # The counts table goes on.
        self.wait_for_update(counts_display, r"hello\s+2")

    def test_a_waiting_cell_gets_updates_only_when_it_waits_on_the_context(self):
        """A cell awaiting a timer is unrelated: while it runs, batches update their displays under
        the defining cell's request and nothing under it. A cell awaiting
        `ssc.awaitTerminationOrTimeout` is the one the batches answer (nbclient keeps only its
        messages): the updates go to it, and after its wait they go back to the defining cell."""
        counts_display = self.start_context()
        context_request = [m for _, m in self.iopub if m["msg_type"] == "display_data"][0]["parent_header"]["msg_id"]

        reply, own = self.execute("await new Promise((r) => setTimeout(r, 4 * %d)); 3" % BATCH_MS, cell="timer")
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual([m["msg_type"] for m in own], ["status", "execute_input", "execute_result", "status"])
        timer_request = own[0]["parent_header"]["msg_id"]
        during_timer = [m for _, m in self.iopub if m["msg_type"] == "update_display_data"
                        and m["parent_header"]["msg_id"] != timer_request
                        and m["content"]["transient"]["display_id"] == counts_display]
        self.assertTrue(any(m["parent_header"]["msg_id"] == context_request for m in during_timer))

        reply, own = self.execute("await ssc.awaitTerminationOrTimeout(4 * %d)" % BATCH_MS, cell="waits")
        self.assertEqual(reply["status"], "ok", reply)
        kinds = [m["msg_type"] for m in own]
        self.assertEqual(kinds[:2], ["status", "execute_input"])
        self.assertEqual(kinds[-2:], ["execute_result", "status"])
        answered = [m for m in own if m["msg_type"] == "update_display_data"]
        self.assertGreaterEqual(len(answered), 2, kinds)  # a batch every 300 ms, redraws at most every 500 ms
        self.assertEqual({m["content"]["transient"]["display_id"] for m in answered}, {counts_display})
        self.assertEqual(set(kinds[2:-2]), {"update_display_data"})
        self.assertEqual(own[-2]["content"]["data"]["text/plain"], "false")

        # Its wait over, the updates go back to the defining cell's request.
        since = time.time()
        self.pump(1.5)
        later = self.updates(counts_display, since)
        self.assertTrue(later)
        self.assertEqual({m["parent_header"]["msg_id"] for m in later}, {context_request})

    def test_console_output_of_a_batch_goes_to_its_output(self):
        """console.log in a batch's functions shows in that output's display (a foreachRDD gets one
        under its cell when it first logs), never as a stream message under whichever cell ran."""
        self.start_context()
        reply, msgs = self.execute('words.foreachRDD((rdd, time) => console.log(`batch ${time.milliseconds % 1000}: ${rdd.count()} words`));', cell="logs")
        self.assertEqual(reply["status"], "ok", reply)
        logs_request = msgs[0]["parent_header"]["msg_id"]
        self.execute("1 + 1", cell="unrelated")
        self.pump(1.5)
        shown = [m for _, m in self.iopub if m["msg_type"] == "display_data" and m["parent_header"].get("msg_id") == logs_request]
        self.assertEqual(len(shown), 1, [m["msg_type"] for _, m in self.iopub if m["parent_header"].get("msg_id") == logs_request])
        self.assertEqual(shown[0]["content"]["data"]["text/plain"], "foreachRDD · cell [2]")
        text = self.wait_for_update(shown[0]["content"]["transient"]["display_id"], r"(batch \d+: 3 words\n.*){2}")
        self.assertTrue(text.startswith("foreachRDD · cell [2]\nbatch "), text)
        self.assertEqual([m["msg_type"] for _, m in self.iopub if m["msg_type"] in ("stream", "error")], [])

    def test_rerun_with_the_same_cell_id_leaves_one_live_display(self):
        """Re-running a cell replaces what its previous run defined: one live display per output,
        the old displays get no more updates, the outputs count stays the same."""
        self.start_context()
        code = 'words.filter((w) => w === "hello").count().display({ title: "hellos" });'
        ids = []
        for _ in range(3):
            reply, msgs = self.execute(code, cell="explore")
            self.assertEqual(reply["status"], "ok", reply)
            ids.append(self.displays(msgs)[0]["content"]["transient"]["display_id"])
        self.wait_for_update(ids[-1], r"hellos · Time")
        self.pump(2 * BATCH_MS / 1000 + 0.5)
        settled = time.time()
        self.pump(3 * BATCH_MS / 1000 + 0.5)
        self.assertEqual([len(self.updates(i, settled)) for i in ids[:-1]], [0, 0])
        self.assertGreater(len(self.updates(ids[-1], settled)), 1)
        reply, own = self.execute('ssc.outputs().filter((o) => o.status === "running").map((o) => o.name + "@" + o.owner).join(", ")', cell="list")
        result = [m for m in own if m["msg_type"] == "execute_result"][0]["content"]["data"]["text/plain"]
        self.assertEqual(result, "countByValue@cell [1], count@cell [4]")

    def test_rerun_of_the_context_cell_replaces_the_context(self):
        """Re-running the cell that made the context stops that context (gracefully) first; an
        output a later cell defined on it says why it stopped."""
        self.start_context()
        reply, msgs = self.execute('words.print(3);', cell="later")
        later_id = self.displays(msgs)[0]["content"]["transient"]["display_id"]
        reply, msgs = self.execute(CONTEXT_CELL.format(batch=BATCH_MS), cell="context")
        self.assertEqual(reply["status"], "ok", reply)
        text = self.wait_for_update(later_id, r"stopped")
        self.assertRegex(text, r"■ stopped: its context was replaced when cell \[1\] re-ran \(now cell \[3\]\): re-run this cell")
        reply, own = self.execute("StreamingContext.getActive() === ssc", cell="check")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in own if m["msg_type"] == "execute_result"], ["true"])

    def test_save_as_text_files_defined_in_a_later_cell_writes_each_batch(self):
        """saveAsTextFiles defined while the context runs joins at the next batch: one directory per
        batch, prefix-<ms>.txt, with part files holding that batch's counts and _SUCCESS."""
        self.start_context()
        out = os.path.join(self.tmp.name, "saved")
        reply, msgs = self.execute('counts.saveAsTextFiles(%r, "txt");' % os.path.join(out, "counts"), cell="save")
        self.assertEqual(reply["status"], "ok", reply)
        self.pump(4 * BATCH_MS / 1000 + 1)
        batches = sorted(d for d in os.listdir(out) if os.path.isfile(os.path.join(out, d, "_SUCCESS")))
        self.assertGreaterEqual(len(batches), 3, os.listdir(out))
        times = [int(re.fullmatch(r"counts-(\d+)\.txt", d).group(1)) for d in batches]
        self.assertEqual([b - a for a, b in zip(times, times[1:])], [BATCH_MS] * (len(times) - 1))
        for d in batches:
            parts = sorted(f for f in os.listdir(os.path.join(out, d)) if f.startswith("part-"))
            self.assertTrue(parts, d)
            lines = []
            for part in parts:
                with open(os.path.join(out, d, part)) as f:
                    lines += f.read().splitlines()
            self.assertEqual(sorted(lines), ["(bye,1)", "(hello,2)"], d)

    def test_rerun_of_a_checkpointed_context_cell_stops_it_gracefully_and_resumes(self):
        """Re-running the cell of a checkpointed context (StreamingContext.getOrCreate) stops the
        old context gracefully, its last batch's checkpoint written, before the new code runs; the
        new context resumes from that checkpoint: the running totals go on, nothing counted twice."""
        checkpoint = os.path.join(self.tmp.name, "ckpt")
        inbox = os.path.join(self.tmp.name, "in")
        os.makedirs(inbox)
        code = """import {{ StreamingContext }} from "streamlab";
const ssc = StreamingContext.getOrCreate({ckpt!r}, () => {{
  const ssc = new StreamingContext({{ appName: "ckpt", master: "local[2]", batchDuration: {batch} }});
  ssc.checkpoint({ckpt!r});
  ssc.textFileStream({inbox!r})
    .mapToPair((w: string) => [w, 1])
    .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0))
    .print();
  return ssc;
}});
ssc.start();
""".format(ckpt=checkpoint, inbox=inbox, batch=BATCH_MS)
        written = [0]

        def drop(words):
            written[0] += 1
            staging = os.path.join(self.tmp.name, "staging-%d" % written[0])
            with open(staging, "w") as f:
                f.write("\n".join(words) + "\n")
            os.rename(staging, os.path.join(inbox, "words-%d.txt" % written[0]))

        reply, msgs = self.execute(code, cell="context")
        self.assertEqual(reply["status"], "ok", reply)
        first = self.displays(msgs)[0]["content"]["transient"]["display_id"]
        drop(["a", "b", "a"])
        self.wait_for_update(first, r"(?s)(?=.*\(a,2\))(?=.*\(b,1\))")
        drop(["a"] * 4)
        text = self.wait_for_update(first, r"\(a,6\)")
        self.pump(2 * BATCH_MS / 1000)

        reply, msgs = self.execute(code, cell="context")
        self.assertEqual(reply["status"], "ok", reply)
        old_batches = [int(t) for t in re.findall(r"Time: (\d+) ms", self.updates(first)[-1]["content"]["data"]["text/plain"])]
        last_old = max(old_batches)
        self.assertIn("checkpoint-%d" % last_old, os.listdir(checkpoint))

        shown = self.displays(msgs)
        self.assertEqual(len(shown), 1, [m["msg_type"] for m in msgs])
        second = shown[0]["content"]["transient"]["display_id"]
        drop(["b", "c"])
        text = self.wait_for_update(second, r"\(b,2\)")
        self.assertEqual(sorted(text.rstrip("\n").split("\n\n")[-1].split("\n")[3:]), ["(a,6)", "(b,2)", "(c,1)"], text)
        new_batches = [int(t) for t in re.findall(r"Time: (\d+) ms", text)]
        self.assertGreater(min(new_batches), last_old)

    def test_stop_then_a_new_context_in_the_same_kernel_just_works(self):
        """`await ssc.stop()` in one cell, a new context in another: it starts and runs, the old
        display keeps its last batch, and getActive() is the new context."""
        first = self.start_context()
        reply, _ = self.execute("await ssc.stop();", cell="stop")
        self.assertEqual(reply["status"], "ok", reply)
        stopped_updates = len(self.updates(first))
        reply, msgs = self.execute(CONTEXT_CELL.replace("const ", "const next_").replace("ssc.", "next_ssc.").replace("(queue", "(next_queue")
                                   .replace("words.", "next_words.").replace("counts.", "next_counts.").format(batch=BATCH_MS), cell="second")
        self.assertEqual(reply["status"], "ok", reply)
        second = self.displays(msgs)[0]["content"]["transient"]["display_id"]
        self.wait_for_update(second, r"hello\s+2")
        reply, own = self.execute("[StreamingContext.getActive() === next_ssc, ssc.getState(), next_ssc.getState()]", cell="check")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in own if m["msg_type"] == "execute_result"], ["[ true, 'STOPPED', 'ACTIVE' ]"])
        self.assertEqual(len(self.updates(first)), stopped_updates)

    def test_without_a_cell_id_each_execution_is_its_own_cell(self):
        """A frontend that sends no cellId: the same code run twice is two cells (the fallback is
        the request's msg_id), so both outputs stay, each with its own display."""
        self.start_context()
        displays = []
        for _ in range(2):
            reply, msgs = self.execute("words.print(2);")
            self.assertEqual(reply["status"], "ok", reply)
            displays.append(self.displays(msgs)[0]["content"]["transient"]["display_id"])
        self.assertNotEqual(displays[0], displays[1])
        for display_id in displays:
            self.wait_for_update(display_id, r"Time: \d+ ms")
        reply, own = self.execute('ssc.outputs().filter((o) => o.status === "running").map((o) => o.operation).join(",")')
        self.assertEqual([m["content"]["data"]["text/plain"] for m in own if m["msg_type"] == "execute_result"], ["display,print,print"])

    def test_completion_and_inspection_show_the_public_api_only(self):
        """Tab on `ssc.` lists the public API, none of the engine's @internal members; Shift-Tab
        on a method shows its documentation."""
        reply, _ = self.execute('import { StreamingContext } from "streamlab";\nconst ssc = new StreamingContext({ batchDuration: 1000 });', cell="make")
        self.assertEqual(reply["status"], "ok", reply)
        code = "ssc."
        self.kc.complete(code, len(code))
        matches = self.kc.get_shell_msg(timeout=20)["content"]["matches"]
        for public in ("start", "stop", "awaitTermination", "socketTextStream", "outputs", "removeOwnedBy", "dashboard"):
            self.assertIn(public, matches)
        for internal in ("jobScheduler", "jobGenerator", "assertCanAddStreams", "abandonForTest", "recoveryHooks", "listenerBus", "inputInfoTracker"):
            self.assertNotIn(internal, matches)
        code = "ssc.awaitTermination"
        self.kc.inspect(code, len(code))
        found = self.kc.get_shell_msg(timeout=20)["content"]
        self.assertTrue(found["found"])
        self.assertIn("awaitTermination", found["data"]["text/plain"])

    def test_already_started_names_the_cell(self):
        """Starting a second context while one runs: the error names the cell that started the
        running one and gives notebook advice, not an evalmachine frame."""
        self.start_context()
        reply, _ = self.execute('const other = new StreamingContext({ batchDuration: 1000 });\nother.queueStream([[1]]).print();\nother.start();', cell="second", stop_on_error=False)
        self.assertEqual(reply["status"], "error")
        message = reply["evalue"]
        self.assertIn("Currently running StreamingContext was started at\ncell [1]. In a notebook, re-running cell [1] replaces that context", message)
        self.assertNotIn("evalmachine", message)
        self.assertEqual(reply["traceback"][0], "Error [STREAM_ERR_ANOTHER_CONTEXT_ACTIVE]: " + message)

    def test_rerun_of_an_unchanged_stateful_cell_keeps_its_state(self):
        """A stateful stream added live, its cell re-run unchanged: the new display's totals go on
        from the old ones instead of starting again. A definition that fails leaves no display."""
        self.start_context()
        reply, msgs = self.execute('words.updateStateByKey((vs: number[], s?: number) => vs.length + (s ?? 0)).display();', cell="nocheckpoint", stop_on_error=False)
        self.assertEqual(reply["status"], "error")
        self.assertIn("STREAM_ERR_NO_CHECKPOINT_DIR", reply["traceback"][0])
        self.assertEqual(self.displays(msgs), [])
        reply, _ = self.execute('ssc.checkpoint(%r);' % os.path.join(self.tmp.name, "cp"), cell="checkpoint")
        self.assertEqual(reply["status"], "ok", reply)
        code = 'const totals = words.mapToPair((w) => [w, 1]).updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0));\ntotals.display();'
        reply, msgs = self.execute(code, cell="totals")
        self.assertEqual(reply["status"], "ok", reply)
        first = self.displays(msgs)[0]
        self.assertEqual(first["content"]["data"]["text/plain"], "updateStateByKey · cell [4] · waiting for the first batch")
        text = self.wait_for_update(first["content"]["transient"]["display_id"], r"hello\s+(1[0-9]|[2-9][0-9])\b")
        before = int(re.search(r"hello\s+(\d+)", text).group(1))
        reply, msgs = self.execute(code, cell="totals")
        self.assertEqual(reply["status"], "ok", reply)
        second = self.displays(msgs)[0]["content"]["transient"]["display_id"]
        text = self.wait_for_update(second, r"hello\s+\d+")
        self.assertGreater(int(re.search(r"hello\s+(\d+)", text).group(1)), before, text)

    # ---- interrupt --------------------------------------------------------------------------

    def test_interrupt_ends_an_endless_loop_in_a_batch(self):
        """An endless loop in a map: Interrupt ends it within 2 s, the kernel answers, that output
        stops with the error's code and cell, the other output keeps updating."""
        counts_display = self.start_context()
        reply, msgs = self.execute('words.map((w) => { while (w === "bye") {} return w; }).print();', cell="loop")
        self.assertEqual(reply["status"], "ok", reply)
        loop_id = self.displays(msgs)[0]["content"]["transient"]["display_id"]
        time.sleep(1.0)  # the loop has the main thread now
        started = time.time()
        self.km.interrupt_kernel()
        reply, own = self.execute("6 * 7", cell="after", timeout=10)
        elapsed = time.time() - started
        self.assertLess(elapsed, 2.0, f"the kernel answered {elapsed:.2f} s after Interrupt")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in own if m["msg_type"] == "execute_result"], ["42"])
        text = self.wait_for_update(loop_id, r"STREAM_ERR_OUTPUT_INTERRUPTED")
        self.assertRegex(text, r"defined by cell \[2\]")
        self.assertIn("in one of the functions of queueStream → map → print, defined by cell [2]", text)
        self.assertRegex(text, r"re-run its cell")
        since = time.time()
        self.pump(3 * BATCH_MS / 1000 + 0.5)
        self.assertGreater(len(self.updates(counts_display, since)), 1)

    def test_interrupt_during_await_termination_keeps_the_variables(self):
        """The lecture's program pasted into one cell ending with awaitTermination: Interrupt ends
        the wait without a stack; the next cell uses jsc; the stream goes on."""
        program = """import { StreamingContext, SparkConf, Durations } from "streamlab";
const conf = new SparkConf().setAppName("WordCountStreaming").setMaster("local[2]");
const jsc = new StreamingContext(conf, Durations.milliseconds(%d));
const lines = jsc.queueStream([], true, ["hello world", "hello"]);
const wordCounts = lines.flatMap((s) => s.split(" ")).mapToPair((s) => [s, 1]).reduceByKey((i1, i2) => i1 + i2);
wordCounts.print();
jsc.start();
await jsc.awaitTermination();
""" % BATCH_MS
        msg_id = self.send(program, cell="program")
        # Interrupt once the program prints, as a student would.
        deadline = time.time() + 20
        while not [m for m in self.of(msg_id) if m["msg_type"] == "update_display_data"]:
            self.assertLess(time.time(), deadline, "the program never printed")
            self.pump(0.2)
        self.km.interrupt_kernel()
        reply = self.reply(msg_id, timeout=10)
        self.wait_idle(msg_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.assertEqual(len(reply["content"]["traceback"]), 1, reply["content"]["traceback"])
        errors = [m for m in self.of(msg_id) if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertNotIn(" at ", "\n".join(errors[0]["content"]["traceback"]))
        time.sleep(0.5)  # requests within 200 ms of an error are aborted, as stop_on_error asks
        reply, own = self.execute("jsc.getState()", cell="next")
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual([m["content"]["data"]["text/plain"] for m in own if m["msg_type"] == "execute_result"], ["ACTIVE"])

    def test_an_interrupt_meant_for_an_awaiting_cell_spares_a_busy_batch(self):
        """Batches that keep the thread busy most of the time (250 ms of work every 300 ms): an
        Interrupt during awaitTermination ends the wait, and the busy output goes on."""
        counts_display = self.start_context()
        reply, msgs = self.execute('words.map((w) => { const t = Date.now(); while (Date.now() - t < 80) {} return w; }).count().display({ title: "slow" });', cell="slow")
        slow_id = self.displays(msgs)[0]["content"]["transient"]["display_id"]
        self.wait_for_update(slow_id, r"slow · Time")
        msg_id = self.send("await ssc.awaitTermination();", cell="wait")
        self.pump(1.0)
        self.km.interrupt_kernel()
        reply = self.reply(msg_id, timeout=10)
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.wait_idle(msg_id)
        since = time.time()
        self.pump(4 * BATCH_MS / 1000 + 1.0)
        texts = [m["content"]["data"]["text/plain"] for m in self.updates(slow_id, since)]
        self.assertTrue(texts, "the slow output stopped updating")
        self.assertNotIn("STREAM_ERR_OUTPUT_INTERRUPTED", "\n".join(texts))
        self.assertGreater(len(self.updates(counts_display, since)), 1)

    def test_a_failed_cell_keeps_what_ran_before_the_failure(self):
        reply, _ = self.execute('import * as path from "path";\nconst before = 41;\nthrow new Error("boom");\nconst after = 1;', cell="fails", stop_on_error=False)
        self.assertEqual(reply["status"], "error")
        self.assertEqual(reply["traceback"][0], "Error: boom")
        self.assertRegex(reply["traceback"][1], r"at cell \[1\] line 3: throw new Error\(\"boom\"\);")
        reply, own = self.execute("path.basename('/a/b') + (before + 1)", cell="uses")
        self.assertEqual(reply["status"], "ok", reply)
        self.assertEqual([m["content"]["data"]["text/plain"] for m in own if m["msg_type"] == "execute_result"], ["b42"])
        reply, own = self.execute("after", cell="forgotten", stop_on_error=False)
        self.assertEqual(reply["status"], "error")
        self.assertIn("Cannot find name 'after'", reply["evalue"])


if __name__ == "__main__":
    unittest.main()

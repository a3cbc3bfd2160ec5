"""Jupyter's kernel conformance suite (jupyter_kernel_test) against the installed `streamlab` kernel.

Run by test/kernel/conformance.test.ts with .venv/bin/python -m unittest. Samples without a
counterpart in tslab are left unset, which the suite reports as skipped: history, pager and
clear_output. A history_request still gets a (empty) history_reply, tested below.
"""
import time
import unittest

import jupyter_kernel_test
from jupyter_kernel_test.msgspec_v5 import validate_message


class StreamlabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "streamlab"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world");'
    code_stderr = 'console.error("an error line");'

    completion_samples = [
        {"text": "Math.clz", "matches": {"clz32"}},
    ]
    complete_code_samples = ["1 + 1", "const a = [1, 2];", "function f() { return 1; }"]
    incomplete_code_samples = ["function f() {", "const a = [1,"]

    code_display_data = [
        {"code": 'require("tslab").display.html("<b>bold</b>");', "mime": "text/html"},
        {"code": 'import { StreamingContext } from "streamlab";\nrequire("tslab").display.text(typeof StreamingContext);', "mime": "text/plain"},
    ]
    code_inspect_sample = "Math"
    code_generate_error = 'throw new Error("boom");'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "[1, 2].map((x) => x * 2)", "result": "[ 2, 4 ]"},
    ]

    def test_history_request_gets_an_empty_history(self):
        """tslab keeps no history, but the kernel answers: JupyterLab asks whenever it opens a notebook."""
        self.flush_channels()
        msg_id = self.kc.history(hist_access_type="tail", n=10)
        reply = self.get_non_kernel_info_reply(timeout=10)
        validate_message(reply, "history_reply", msg_id)
        self.assertEqual(reply["content"], {"status": "ok", "history": []})

    def replies_to(self, *msg_ids):
        """The execute_reply statuses of `msg_ids`, in that order."""
        statuses = {}
        while len(statuses) < len(msg_ids):
            reply = self.get_non_kernel_info_reply(timeout=20)
            # jupyter_kernel_test's own schema for aborted replies is a copy of the error one, so
            # only the others are validated; "aborted" is what ipykernel sends too.
            if reply["content"]["status"] != "aborted":
                validate_message(reply, "execute_reply", reply["parent_header"]["msg_id"])
            statuses[reply["parent_header"]["msg_id"]] = reply["content"]["status"]
        return [statuses[m] for m in msg_ids]

    def test_stop_on_error_false_runs_the_cells_after_a_failure(self):
        """nbclient with allow_errors sends stop_on_error=False; the next cells must still run."""
        self.flush_channels()
        failing = self.kc.execute('throw new Error("expected");', stop_on_error=False)
        queued = self.kc.execute("6 * 7")
        self.assertEqual(self.replies_to(failing, queued), ["error", "ok"])

    def test_stop_on_error_aborts_the_cells_queued_behind_a_failure(self):
        """The default (stop_on_error=True): what was queued behind the failing cell is aborted."""
        self.flush_channels()
        failing = self.kc.execute('throw new Error("expected");')
        queued = self.kc.execute("6 * 7")
        self.assertEqual(self.replies_to(failing, queued), ["error", "aborted"])
        time.sleep(0.3)  # tslab starts afresh 200 ms after a failure


if __name__ == "__main__":
    unittest.main()

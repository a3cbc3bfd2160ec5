"""Jupyter's kernel conformance suite (jupyter_kernel_test) against the installed `streamlab` kernel.

Run by test/kernel/conformance.test.ts with .venv/bin/python -m unittest. Samples without a
counterpart in tslab are left unset, which the suite reports as skipped: history, pager and
clear_output. A history_request still gets a (empty) history_reply, tested below.
"""
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


if __name__ == "__main__":
    unittest.main()

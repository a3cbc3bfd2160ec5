"""Jupyter's kernel conformance suite (jupyter_kernel_test) against the installed `streamlab` kernel.

Run by test/kernel/conformance.test.ts with .venv/bin/python -m unittest. Samples without a
counterpart in tslab are left unset, which the suite reports as skipped: history, pager and
clear_output.
"""
import unittest

import jupyter_kernel_test


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


if __name__ == "__main__":
    unittest.main()

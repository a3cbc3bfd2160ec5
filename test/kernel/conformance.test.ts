import { describeWithVenv, runPython } from "./venv";

describeWithVenv("Jupyter's kernel conformance suite (jupyter_kernel_test) against the streamlab kernel", () => {
  it("passes every test that has a TypeScript sample", async () => {
    const { code, output } = await runPython(["-m", "unittest", "-v", "test_conformance"], 120_000);
    if (code !== 0) throw new Error(`jupyter_kernel_test failed (exit ${code}):\n${output}`);
    expect(output).toMatch(/^OK \(skipped=5\)$/m);
    // The skips are the features tslab does not have, nothing else.
    const skipped = output.split("\n").filter((l) => l.includes("... skipped")).map((l) => l.replace(/^\s*(\w+).*skipped '(.*)'$/, "$1: $2"));
    expect(skipped).toEqual([
      "test_clear_output: No code clear output",
      "test_history: History tail not supported",
      "test_history: History range not supported",
      "test_history: No code history pattern",
      "test_pager: No code page something",
    ]);
    expect(output).toMatch(/test_execute_result .*\.\.\. ok/);
    expect(output).toMatch(/test_error .*\.\.\. ok/);
  });
});

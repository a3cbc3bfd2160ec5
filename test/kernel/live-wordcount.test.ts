import { describeWithVenv, runPython } from "./venv";

// The scenario is in test_live_wordcount.py (jupyter_client drives a real streamlab kernel); each
// Python test method is one jest test so a failure names its step.
describeWithVenv("a real streamlab kernel driven by jupyter_client: live word count over a loopback line server", () => {
  const run = async (method: string) => {
    const { code, output } = await runPython(["-m", "unittest", "-v", `test_live_wordcount.LiveWordCountTest.${method}`], 120_000);
    if (code !== 0) throw new Error(`${method} failed (exit ${code}):\n${output}`);
    expect(output).toMatch(/^OK$/m);
  };

  it("one display_data, then growing update_display_data with the same id; another cell runs meanwhile; an interrupt during awaitTermination returns and the stream goes on", () =>
    run("test_live_word_count"));

  it("kernel shutdown stops the context gracefully and the kernel exits by itself", () =>
    run("test_shutdown_stops_the_context_gracefully"));

  it("after SIGKILL, a restart and a re-run of the cell with getOrCreate, the totals continue from the checkpoint", () =>
    run("test_resume_after_sigkill"));
});

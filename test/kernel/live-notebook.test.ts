import { describeWithVenv, runPython } from "./venv";

// The scenarios are in test_live_notebook.py (jupyter_client drives a real streamlab kernel, with
// JupyterLab's cellId in each execute_request); each Python test method is one jest test.
describeWithVenv("a live notebook at the protocol level (jupyter_client, cellId per cell)", () => {
  const run = async (method: string) => {
    const { code, output } = await runPython(["-m", "unittest", "-v", `test_live_notebook.LiveNotebookTest.${method}`], 120_000);
    if (code !== 0) throw new Error(`${method} failed (exit ${code}):\n${output}`);
    expect(output).toMatch(/^OK$/m);
  };

  it("busy and idle follow each request in order: the next cell's busy comes after the previous one's idle", () =>
    run("test_busy_idle_follow_each_request_in_order"));

  it("a throwing map shows its error once in its own display, then a running count; `1 + 1` shows only 2; no background message carries an unrelated cell's parent", () =>
    run("test_background_messages_never_carry_an_unrelated_cells_parent"));

  it("console.log in a batch's functions shows in that output's display, never under whichever cell ran last", () =>
    run("test_console_output_of_a_batch_goes_to_its_output"));

  it("re-running a cell with the same cellId three times leaves one live display per output and the same outputs running", () =>
    run("test_rerun_with_the_same_cell_id_leaves_one_live_display"));

  it("re-running the context cell stops that context first; a later cell's output says why it stopped", () =>
    run("test_rerun_of_the_context_cell_replaces_the_context"));

  it("re-running a checkpointed context's cell stops it gracefully (its last batch checkpointed) and getOrCreate resumes the totals", () =>
    run("test_rerun_of_a_checkpointed_context_cell_stops_it_gracefully_and_resumes"));

  it("await ssc.stop() in one cell, then a new context in another: it starts and runs; the old display keeps its last batch", () =>
    run("test_stop_then_a_new_context_in_the_same_kernel_just_works"));

  it("without a cellId (other frontends) each execution is its own cell: the same code run twice keeps both outputs", () =>
    run("test_without_a_cell_id_each_execution_is_its_own_cell"));

  it("saveAsTextFiles defined in a later cell writes one directory per batch with that batch's counts", () =>
    run("test_save_as_text_files_defined_in_a_later_cell_writes_each_batch"));

  it("a cell awaiting a timer receives no batch updates; one awaiting awaitTerminationOrTimeout does, and only while it waits", () =>
    run("test_a_waiting_cell_gets_updates_only_when_it_waits_on_the_context"));

  it("Interrupt ends an endless loop in a batch within 2 s; that output stops with its code and cell; the others keep updating", () =>
    run("test_interrupt_ends_an_endless_loop_in_a_batch"));

  it("Interrupt during awaitTermination ends the wait without a stack and keeps the cell's variables", () =>
    run("test_interrupt_during_await_termination_keeps_the_variables"));

  it("completion on `ssc.` lists the public API only (no @internal members); inspection shows the docs", () =>
    run("test_completion_and_inspection_show_the_public_api_only"));

  it("starting a second context names the cell that started the running one, with notebook advice", () =>
    run("test_already_started_names_the_cell"));

  it("re-running an unchanged stateful cell keeps its state; a failed definition leaves no display; default titles name operation and cell", () =>
    run("test_rerun_of_an_unchanged_stateful_cell_keeps_its_state"));

  it("an Interrupt meant for a cell awaiting awaitTermination ends that wait and spares a batch that happened to be running", () =>
    run("test_an_interrupt_meant_for_an_awaiting_cell_spares_a_busy_batch"));

  it("a failed cell keeps the imports and values declared before the failing line", () =>
    run("test_a_failed_cell_keeps_what_ran_before_the_failure"));
});

"""nbclient as a person runs a live notebook in JupyterLab, for the notebooks' tests and refresh.

nbclient runs each cell once, top to bottom, and sends no cell id. A live notebook also teaches two
things a person does by hand, which a cell's metadata can ask this client to do:

- ``"streamlab": {"first_run": "<source>"}``: the cell is run first with that source, then edited
  back to its own source and run again (a re-run: the kernel replaces what the first run defined);
- ``"streamlab": {"interrupt_when_stuck": true}``: after the cell ran, the client waits until the
  kernel stops answering (a function of a batch runs away: a kernel_info_request gets no reply
  within 1 s), then presses Interrupt (the kernel manager's interrupt, as JupyterLab's button
  does) and waits until the kernel answers again.

Every execute_request carries the cell's id in its metadata (``cellId``), as JupyterLab sends it,
so the kernel knows which cell runs (nbclient 0.11 sends none).
"""
import asyncio

from jupyter_client.utils import ensure_async
from nbclient import NotebookClient


class StreamlabNotebookClient(NotebookClient):
    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        options = cell.get("metadata", {}).get("streamlab", {})
        if "first_run" in options:
            edited = cell.source
            cell.source = options["first_run"]
            try:
                await self._execute_with_cell_id(cell, cell_index, execution_count, store_history)
            finally:
                cell.source = edited
            execution_count = execution_count and self.code_cells_executed + 1
        executed = await self._execute_with_cell_id(cell, cell_index, execution_count, store_history)
        if options.get("interrupt_when_stuck"):
            await self._interrupt_when_stuck()
        return executed

    async def _interrupt_when_stuck(self, answer_within=1.0, give_up_after=60.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + give_up_after
        while True:
            msg_id = await ensure_async(self.kc.kernel_info())
            if not await self._reply_within(msg_id, answer_within):
                break
            if loop.time() > deadline:
                raise RuntimeError(f"the kernel kept answering for {give_up_after} s: nothing ran away, nothing to interrupt")
            await asyncio.sleep(0.2)
        await ensure_async(self.km.interrupt_kernel())
        if not await self._reply_within(msg_id, give_up_after):
            raise RuntimeError(f"the kernel did not answer within {give_up_after} s of Interrupt")

    async def _reply_within(self, msg_id, seconds):
        """True once the shell reply to msg_id arrived (other replies are dropped); False after `seconds`."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=max(0.01, end - loop.time())))
            except Exception:  # queue.Empty: no reply yet
                return False
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return True
        return False

    async def _execute_with_cell_id(self, cell, cell_index, execution_count, store_history):
        kc = self.kc
        send = kc.execute

        def execute(code, silent=False, store_history=True, user_expressions=None, allow_stdin=None, stop_on_error=True):
            # jupyter_client's KernelClient.execute, plus the metadata JupyterLab sends.
            content = {"code": code, "silent": silent, "store_history": store_history,
                       "user_expressions": user_expressions or {},
                       "allow_stdin": kc.allow_stdin if allow_stdin is None else allow_stdin,
                       "stop_on_error": stop_on_error}
            msg = kc.session.msg("execute_request", content, metadata={"cellId": cell.get("id")})
            kc.shell_channel.send(msg)
            return msg["header"]["msg_id"]

        kc.execute = execute
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            kc.execute = send

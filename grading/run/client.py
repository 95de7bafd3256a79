"""The notebook client of a sandboxed run: nbclient with a limit on what a notebook may print,
and a record of how far the notebook got (did the kernel start, which cell was running).

Everything a kernel can make the client write into the notebook counts toward the output limit:
streams, errors, rich outputs (``display_data``, ``execute_result``), the updates of an output
shown under a ``display_id`` (``update_display_data``, and a new output under a shown id, which
rewrite every output of that id: their size counts once per output they rewrite), and widget
messages (``comm_*``, whose state is stored in the notebook's metadata). Past the limit such
messages are dropped (every one after the first that did not fit) and the cell says so once;
errors alone are kept, cut short, since an error is how a test cell fails.
"""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

OUTPUTS = {"stream", "display_data", "execute_result", "error"}
"""Messages that add an output to the cell."""
DISPLAYS = {"display_data", "execute_result", "update_display_data"}
"""Messages that rewrite the outputs shown under their ``display_id``."""
DROPPED = "\n[output limit reached: rest dropped]\n"
ERROR_CHARS = 200
"""Past the limit an error is still kept (it is how a test cell fails), cut to this length."""


def message_bytes(msg: dict) -> int:
    """The size of what ``msg`` would write into the notebook (its content and binary buffers)."""
    buffers = msg.get("buffers") or []
    return len(str(msg.get("content", ""))) + sum(len(b) for b in buffers)


def short_error(msg: dict) -> dict:
    """``msg``, an error, with its message cut to :data:`ERROR_CHARS` and no traceback."""
    content = msg.get("content", {})
    ename, evalue = str(content.get("ename", ""))[:ERROR_CHARS], str(content.get("evalue", ""))
    short = {"ename": ename, "evalue": evalue[:ERROR_CHARS], "traceback": []}
    short["traceback"] = [f"{ename}: {short['evalue']}"]
    return {**msg, "content": {**content, **short}}


class LimitedClient(NotebookClient):
    """nbclient with a cap on the size of everything a notebook prints, and a record of its
    progress: whether the kernel answered (``started``) and the last cell sent to it
    (``reached``, -1 before the first)."""

    def __init__(self, *args, output_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_bytes, self.used_bytes, self.truncated = output_bytes, 0, False
        self.timed_out = 0
        self.started, self.reached = False, -1
        self.after_cell = None
        """An async callable ``(cell)`` run after each cell, while the kernel still runs (the
        grading checker, which decides a part right after its test cell)."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        self.started = True  # the kernel answered its first request
        return kc

    async def async_execute_cell(self, cell, cell_index, *args, **kwargs):
        self.reached = cell_index
        done = await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        if self.after_cell is not None:
            await self.after_cell(cell)
        return done

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out += 1
        return await super()._async_handle_timeout(timeout, cell)

    def cost(self, msg: dict) -> int:
        """Bytes that ``msg`` adds to the notebook: its size, once more for every output it
        rewrites through its ``display_id``."""
        msg_type, size = msg["msg_type"], message_bytes(msg)
        counted = size if msg_type in OUTPUTS or msg_type.startswith("comm") else 0
        transient = msg.get("content", {}).get("transient") or {}
        display_id = transient.get("display_id") if isinstance(transient, dict) else None
        if display_id and msg_type in DISPLAYS:
            shown = self._display_id_map.get(display_id, {})
            counted += size * sum(len(indices) for indices in shown.values())
        return counted

    def process_message(self, msg, cell, cell_index):
        cost = self.cost(msg)
        if cost and (self.truncated or self.used_bytes + cost > self.output_bytes):
            if not self.truncated:
                self.truncated = True
                cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=DROPPED))
            if msg["msg_type"] == "error":  # a failed test stays failed: its error, cut short
                return super().process_message(short_error(msg), cell, cell_index)
            return None
        self.used_bytes += cost
        return super().process_message(msg, cell, cell_index)

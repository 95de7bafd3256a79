"""The sandbox run: execute one prepared notebook with its kernel inside a bubblewrap sandbox.

The notebook client (nbclient) runs here, in the grading process, out of the submission's
reach; only the kernel runs in the sandbox, and the two talk over ZeroMQ's Unix sockets in a
folder that is bind-mounted into the sandbox. The client enforces the per-cell limit
(interrupting the cell), the whole-notebook limit (killing the sandbox, which takes every process
of the submission with it) and the output limit. Nothing here touches the gradebook: a worker on
another machine runs exactly this code and returns the executed notebook.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grading.run import sandbox

BOOT = (
    "import ctypes; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); "  # PR_SET_DUMPABLE 0
    "from ipykernel.kernelapp import launch_new_instance; launch_new_instance()"
)
"""The kernel makes itself non-dumpable first: no other process of the sandbox user (a child the
notebook started) may then ptrace it or read and write its memory through /proc."""

KERNEL_ARGV = [
    sys.executable, "-c", BOOT, "-f", "{connection_file}",
    "--HistoryManager.enabled=False", "--IPKernelApp.matplotlib=inline",
    "--IPKernelApp.ignore_cwd=True",
]  # fmt: skip


@dataclass
class RunResult:
    """What came back from one sandboxed execution."""

    notebook: dict
    """The executed notebook (JSON-able dict)."""
    seconds: float
    notes: list[str] = field(default_factory=list)
    """What went wrong, for the student's row of the CSV (limits hit, kernel died)."""


class _SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside the submission's sandbox."""

    slot = 0
    limits = sandbox.Limits()
    ipc_dir: Path | None = None
    confined = True

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:  # a signal would reach bubblewrap, not the kernel inside it
            spec.interrupt_mode = "message"
        return spec

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self.confined and os.geteuid() == 0:  # readable by the kernel's own user only
            uid = sandbox.sandbox_uid(self.slot)
            os.chown(self.connection_file, uid, uid)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        # the kernel's own console output is noise; a process holding it open holds nothing up
        kw.update(stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await super()._async_launch_kernel(kernel_cmd, **kw)

    def format_kernel_cmd(self, extra_arguments=None):
        argv = [a.replace("{connection_file}", self.connection_file) for a in KERNEL_ARGV]
        if not self.confined:
            return argv
        return sandbox.command_line(argv, self.slot, self.ipc_dir, self.limits)


class _LimitedClient(NotebookClient):
    """nbclient with a cap on the size of everything a notebook prints."""

    def __init__(self, *args, output_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_bytes, self.used_bytes, self.truncated = output_bytes, 0, False
        self.timed_out = 0

    async def _async_handle_timeout(self, timeout, cell=None):
        self.timed_out += 1
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        size = len(str(msg.get("content", "")))
        self.used_bytes += size
        if self.used_bytes > self.output_bytes:
            if not self.truncated:
                self.truncated = True
                outs.append(
                    nbformat.v4.new_output(
                        "stream", name="stdout", text="\n[output limit reached: rest dropped]\n"
                    )
                )
            return None
        return super().output(outs, msg, display_id, cell_index)


def run(notebook: dict, slot: int, limits: sandbox.Limits, confined: bool = True) -> RunResult:
    """Execute ``notebook`` (a prepared, sanitized notebook) in a fresh sandbox and return it.

    ``confined=False`` runs the kernel without a sandbox (``--no-sandbox``: unsafe).
    """
    nb = nbformat.from_dict(notebook)
    ipc_dir = Path(tempfile.mkdtemp(prefix="itm528-kernel-"))
    if confined and os.geteuid() == 0:
        os.chown(ipc_dir, sandbox.sandbox_uid(slot), sandbox.sandbox_uid(slot))
    km = _SandboxedKernelManager(
        transport="ipc", ip=str(ipc_dir / "kernel"),
        connection_file=str(ipc_dir / "kernel.json"), kernel_name="python3",
    )  # fmt: skip
    km.slot, km.limits, km.ipc_dir, km.confined = slot, limits, ipc_dir, confined
    client = _LimitedClient(
        nb, km=km, timeout=int(limits.cell_seconds), interrupt_on_timeout=True,
        allow_errors=True, record_timing=True, startup_timeout=60,
        output_bytes=int(limits.output_mb * 2**20),
        error_on_timeout={"ename": "CellTimeoutError", "evalue": "",
                          "traceback": ["CellTimeoutError: the cell ran past its time limit"]},
    )  # fmt: skip
    notes: list[str] = []
    started = time.perf_counter()
    try:
        asyncio.run(_execute(client, limits.submission_seconds, notes))
    finally:
        sandbox.kill_leftovers(slot) if confined else None
        shutil.rmtree(ipc_dir, ignore_errors=True)
    if client.truncated:
        notes.append(
            f"the notebook printed more than {limits.output_mb:g} MB; the rest was dropped"
        )
    if client.timed_out:
        notes.append(
            f"a cell ran past the per-cell time limit of {limits.cell_seconds:.0f} s and was "
            "interrupted"
        )
    notes += _limits_hit(nb, limits)
    return RunResult(nb, time.perf_counter() - started, notes)


LIMIT_SIGNS = {
    "memory": ("MemoryError", "Cannot allocate memory", "DefaultCPUAllocator: can't allocate"),
    "processes": ("can't start new thread", "Resource temporarily unavailable"),
    "scratch disk": ("No space left on device", "File too large"),
}


def _limits_hit(nb, limits: sandbox.Limits) -> list[str]:
    """A note for each sandbox limit that an error of the notebook shows it ran into."""
    errors = [
        f"{o.get('ename', '')}: {o.get('evalue', '')}"
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    sizes = {"memory": f"{limits.memory_gb:g} GB", "processes": f"{limits.processes}",
             "scratch disk": f"{limits.scratch_mb} MB"}  # fmt: skip
    return [
        f"a cell ran into the sandbox's {name} limit ({sizes[name]})"
        for name, signs in LIMIT_SIGNS.items()
        if any(sign in e for e in errors for sign in signs)
    ]


async def _execute(client: _LimitedClient, seconds: float, notes: list[str]) -> None:
    task = asyncio.ensure_future(client.async_execute())
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
        if not done:  # the whole notebook's time is up: stop it, whatever it does now
            notes.append(
                f"the notebook ran past the per-submission limit of {seconds:.0f} s and was "
                "stopped; cells it did not reach score 0"
            )
            task.cancel()
            await asyncio.wait({task}, timeout=30)
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: what a stopped notebook raised is not news
        elif isinstance(task.exception(), DeadKernelError):
            notes.append(
                "the notebook stopped the Python kernel (e.g. exit()); later cells score 0"
            )
        elif isinstance(task.exception(), CellTimeoutError):
            notes.append("a cell did not answer an interrupt after its time limit; it was stopped")
        elif task.exception() is not None:  # e.g. a kernel that sent malformed messages
            err = task.exception()
            notes.append(
                f"the notebook's kernel broke off ({type(err).__name__}); cells from there on "
                "score 0"  # its message may carry what the kernel sent: not repeated here
            )
    finally:
        if client.km is not None and client.km.has_kernel:
            await client.km.shutdown_kernel(now=True)

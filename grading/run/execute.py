"""The sandbox run: execute one prepared notebook with its kernel inside a bubblewrap sandbox.

The notebook client (nbclient) runs here, in the grading process, out of the submission's
reach; only the kernel runs in the sandbox, in a control group of its own where the machine
allows one (:mod:`.cgroup`), and the two talk over ZeroMQ's Unix sockets in a small private
folder that is bind-mounted into the sandbox (:mod:`.ipc`). The client enforces the per-cell
limit (interrupting the cell), the whole-notebook limit (killing the sandbox, which takes every
process of the submission with it) and the output limit (:mod:`.client`). A run that failed
before any student code ran is the grading environment's failure (:mod:`.environment`). Nothing
here touches the gradebook: a worker on another machine runs exactly this code and returns the
executed notebook.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from grading import cells
from grading.check import process
from grading.run import cgroup, environment, ipc, sandbox
from grading.run.client import LimitedClient

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
    environment_error: str | None = None
    """What failed in the grading environment before any student code ran
    (:mod:`grading.run.environment`), or in the checker: not the student's, and not a grade."""
    verdicts: dict | None = None
    """The checker's verdict per graded part whose test cell ran (None: no checks asked)."""


class _SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside the submission's sandbox."""

    slot = 0
    limits = sandbox.Limits()
    ipc_dir: Path | None = None
    console: Path | None = None
    group: cgroup.Group | None = None
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
        # the kernel's console output goes to a file on the private socket folder (a few lines
        # that name why a kernel did not start), else nowhere; no pipe for a process to hold
        with contextlib.ExitStack() as stack:
            out = (
                stack.enter_context(self.console.open("wb")) if self.console else subprocess.DEVNULL
            )
            kw.update(stdin=subprocess.DEVNULL, stdout=out, stderr=out)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    def format_kernel_cmd(self, extra_arguments=None):
        argv = [a.replace("{connection_file}", self.connection_file) for a in KERNEL_ARGV]
        if not self.confined:
            return argv
        return sandbox.command_line(argv, self.slot, self.ipc_dir, self.limits, group=self.group)


def run(
    notebook: dict, slot: int, limits: sandbox.Limits, confined: bool = True,
    checks: dict[str, str] | None = None, salt: int = 0,
) -> RunResult:  # fmt: skip
    """Execute ``notebook`` (a prepared, sanitized notebook, its hidden tests taken out) in a
    fresh sandbox; right after each test cell has run, the checker decides that part of
    ``checks`` by driving the kernel (:mod:`grading.check`). Return the executed notebook and
    the verdicts.

    ``confined=False`` runs the kernel without a sandbox (``--no-sandbox``: unsafe).
    """
    nb = nbformat.from_dict(notebook)
    owner = sandbox.sandbox_uid(slot) if confined and os.geteuid() == 0 else None
    memory = int(limits.memory_gb * 2**30)
    notes: list[str] = []
    started = time.perf_counter()
    with ipc.folder(owner) as folder:
        with _group(slot, memory, limits.processes, confined) as group:
            client = _client(nb, slot, limits, confined, folder, group)
            checked: dict = {}
            try:
                stopped = asyncio.run(_execute_and_check(client, limits, notes, checks, salt,
                                                         checked))  # fmt: skip
            finally:  # nbclient's own clean-up at exit is done here, now
                atexit.unregister(client._cleanup_kernel)
                sandbox.kill_leftovers(slot) if confined else None
            killed = group.oom_kills() if group is not None else 0
        log = environment.log_tail(folder.log)
    failure = environment.failure(nb, client.started, client.reached, stopped, log)
    failure = failure or checked.get("failed")
    if client.truncated:
        notes.append(
            f"the notebook printed more than {limits.output_mb:g} MB; the rest was dropped"
        )
    if client.timed_out:
        notes.append(
            f"a cell ran past the per-cell time limit of {limits.cell_seconds:.0f} s and was "
            "interrupted"
        )
    notes += _limits_hit(nb, limits, killed)
    return RunResult(nb, time.perf_counter() - started, notes, failure, checked.get("verdicts"))


async def _execute_and_check(client, limits, notes, checks, salt, checked) -> str | None:
    """:func:`_execute`, with a checker started beside it that decides each part right after
    its test cell has run (:func:`_check`); why the notebook stopped early (None: it ran to its
    end)."""
    if checks is None:
        return await _execute(client, limits.submission_seconds, notes)
    checker = await process.Checker.start()
    checked.update(verdicts={}, seconds=0.0)
    client.after_cell = lambda cell: _check(client, cell, checker, checks, salt, limits, checked)
    try:
        return await _execute(client, limits.submission_seconds, notes)
    finally:
        await checker.stop()
        client.nb.metadata["grading"] = {"check_seconds": round(checked["seconds"], 2)}


async def _check(client: LimitedClient, cell, checker, checks, salt, limits, checked) -> None:
    """The checker's verdict on the part of ``cell`` (a test cell that just ran), into
    ``checked``; after a failure of the checker itself, nothing more is checked."""
    part = cells.grade_id(cell) if cells.is_test(cell) else None
    if part not in checks or "failed" in checked:
        return
    started = time.perf_counter()
    try:
        checked["verdicts"][part] = await checker.check(
            client.km.get_connection_info(), salt, limits.cell_seconds, checks[part]
        )
    except process.CheckerFailed as err:
        checked["failed"] = str(err)
    checked["seconds"] += time.perf_counter() - started


def _group(slot: int, memory: int, processes: int, confined: bool):
    """The sandbox's control group (:func:`cgroup.confine`); none for an unconfined kernel."""
    return cgroup.confine(slot, memory, processes) if confined else contextlib.nullcontext()


def _client(nb, slot, limits, confined, folder: ipc.Folder, group) -> LimitedClient:
    """The notebook client and its kernel manager for one sandboxed run."""
    km = _SandboxedKernelManager(
        transport="ipc", ip=str(folder.path / "kernel"),
        connection_file=str(folder.path / "kernel.json"), kernel_name="python3",
    )  # fmt: skip
    km.slot, km.limits, km.ipc_dir, km.confined = slot, limits, folder.path, confined
    km.console, km.group = folder.log, group
    return LimitedClient(
        nb, km=km, timeout=int(limits.cell_seconds), interrupt_on_timeout=True,
        allow_errors=True, record_timing=True, startup_timeout=60,
        output_bytes=int(limits.output_mb * 2**20),
        error_on_timeout={"ename": "CellTimeoutError", "evalue": "",
                          "traceback": ["CellTimeoutError: the cell ran past its time limit"]},
    )  # fmt: skip


LIMIT_SIGNS = {
    "memory": ("MemoryError", "Cannot allocate memory", "DefaultCPUAllocator: can't allocate"),
    "processes": ("can't start new thread", "Resource temporarily unavailable"),
    "scratch disk": ("No space left on device", "File too large"),
}


def _limits_hit(nb, limits: sandbox.Limits, killed: int = 0) -> list[str]:
    """A note for each sandbox limit that an error of the notebook shows it ran into, and one
    for processes that the sandbox's memory limit stopped (``killed``)."""
    errors = [
        f"{o.get('ename', '')}: {o.get('evalue', '')}"
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    sizes = {"memory": f"{limits.memory_gb:g} GB", "processes": f"{limits.processes}",
             "scratch disk": f"{limits.scratch_mb} MB"}  # fmt: skip
    hit = [
        name
        for name, signs in LIMIT_SIGNS.items()
        if any(sign in e for e in errors for sign in signs)
    ]
    notes = [f"a cell ran into the sandbox's {name} limit ({sizes[name]})" for name in hit]
    if killed:
        notes.append(
            f"{killed} process(es) of the notebook stopped at the sandbox's memory limit "
            f"({limits.memory_gb:g} GB for all its processes together)"
        )
    return notes


async def _execute(client: LimitedClient, seconds: float, notes: list[str]) -> str | None:
    """Run the notebook within ``seconds``; why it stopped early (None: it ran to its end)."""
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
            return f"the per-submission limit of {seconds:.0f} s ran out"
        err = task.exception()
        if isinstance(err, DeadKernelError):
            notes.append(
                "the notebook stopped the Python kernel (e.g. exit()); later cells score 0"
            )
        elif isinstance(err, CellTimeoutError):
            notes.append("a cell did not answer an interrupt after its time limit; it was stopped")
        elif err is not None:  # e.g. a kernel that sent malformed messages
            notes.append(
                f"the notebook's kernel broke off ({type(err).__name__}); cells from there on "
                "score 0"  # its message may carry what the kernel sent: not repeated here
            )
        if err is None or client.started:  # a started kernel's messages are the submission's
            return None if err is None else type(err).__name__
        return f"{type(err).__name__}: {str(err)[:300]}"
    finally:
        if client.km is not None and client.km.has_kernel:
            await client.km.shutdown_kernel(now=True)

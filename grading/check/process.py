"""The checker as a process of its own, started by the worker while the kernel still runs.

The worker hands it the kernel's connection (ZeroMQ Unix sockets in the sandbox's private
socket folder, and the key that signs messages), the parts' checks and the submission's salt,
as JSON on its stdin; it answers with the verdicts on its stdout. The process holds no student
code and runs none: it reads the kernel's replies as data. Where it fails itself (it does not
start, it crashes, it prints what is not a verdict), the grading environment failed, not the
student: :class:`CheckerFailed`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from grading.check.runner import Verdict

ROOT = Path(__file__).resolve().parents[2]


class CheckerFailed(RuntimeError):
    """The checker process itself failed (the grader's environment, not the submission)."""


async def start() -> asyncio.subprocess.Process:
    """A checker process, started while the notebook runs: it imports what it needs (PyTorch
    takes a second or two), then waits for its job."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "grading.check.runner", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT, env=env,
    )  # fmt: skip


def stop(proc: asyncio.subprocess.Process) -> None:
    """End a checker that was not needed (the notebook stopped before its end)."""
    if proc.returncode is None:
        proc.kill()


async def run(
    proc: asyncio.subprocess.Process, connection: dict, checks: dict[str, str], salt: int,
    seconds: float,
) -> dict:  # fmt: skip
    """Every part's :class:`Verdict`, from the checker ``proc`` (:func:`start`) talking to the
    kernel of ``connection``; ``seconds`` bounds each request to the kernel."""
    job = {"connection": _plain(connection), "checks": checks, "salt": salt, "seconds": seconds}
    try:
        out, err = await proc.communicate(json.dumps(job).encode())
    except asyncio.CancelledError:  # the submission's time ran out: the checker goes with it
        proc.kill()
        await proc.wait()
        raise
    try:
        verdicts = json.loads(out)
        return {gid: Verdict(**verdicts[gid]) for gid in checks}
    except (ValueError, KeyError, TypeError) as error:
        tail = err.decode(errors="replace")[-600:]
        raise CheckerFailed(f"the checker failed (exit {proc.returncode}): {tail}") from error


def _plain(connection: dict) -> dict:
    """The connection information as JSON (the key is bytes)."""
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in connection.items()}

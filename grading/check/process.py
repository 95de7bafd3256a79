"""The checker as a process of its own, started by the worker beside the student's kernel.

It starts with the notebook (importing PyTorch meanwhile) and decides each part right after
that part's test cell has run in the kernel, as nbgrader runs tests in notebook order: the
worker sends it, as lines of JSON on its stdin, first the kernel's connection (ZeroMQ Unix
sockets in the sandbox's private folder, and the key that signs messages) and the submission's
salt, then one part's hidden tests at a time; it answers each with one line, the part's verdict.
The process holds no student code and runs none: it reads the kernel's replies as data. Where it
fails itself (it does not start, it crashes, it writes what is not a verdict), the grading
environment failed, not the student: :class:`CheckerFailed`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Verdict:
    """The checker's decision on one graded part (its answer line, as JSON)."""

    passed: bool
    message: str
    points: float | None = None
    """Partial credit the check awarded (None: the cell's full points if passed)."""
    seconds: float = 0.0


class CheckerFailed(RuntimeError):
    """The checker process itself failed (the grader's environment, not the submission)."""


class Checker:
    """A running checker process (:meth:`start`), asked part by part (:meth:`check`)."""

    def __init__(self, proc: asyncio.subprocess.Process, log) -> None:
        self.proc, self.log, self.opened = proc, log, False

    @classmethod
    async def start(cls) -> Checker:
        """A checker process that imports what it needs, then waits for its first line."""
        log = tempfile.TemporaryFile()  # its error output, for the message of a failure
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "grading.check.runner", stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=log, cwd=ROOT, env=env,
        )  # fmt: skip
        return cls(proc, log)

    async def check(self, connection: dict, salt: int, seconds: float, code: str) -> Verdict:
        """The verdict on one part whose hidden tests are ``code``, checked now against the
        kernel of ``connection``; ``seconds`` bounds each request to the kernel."""
        lines = [] if self.opened else [{"connection": _plain(connection), "salt": salt,
                                         "seconds": seconds}]  # fmt: skip
        self.opened = True
        lines.append({"code": code})
        try:
            self.proc.stdin.write("".join(json.dumps(x) + "\n" for x in lines).encode())
            await self.proc.stdin.drain()
            answer = await self.proc.stdout.readline()
            return Verdict(**json.loads(answer))
        except (OSError, ValueError, TypeError) as error:
            raise CheckerFailed(f"the checker failed: {self._tail()}") from error

    async def stop(self) -> None:
        """End the process (its work done, or the notebook stopped)."""
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()
        self.log.close()

    def _tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-600:] or "(no output)"


def _plain(connection: dict) -> dict:
    """The connection information as JSON (the key is bytes)."""
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in connection.items()}

"""What a worker does with one submission, on this machine or on a Dask worker elsewhere.

A job carries everything the work needs (the prepared notebook and the limits); the result
carries everything the coordinator stores. A worker never opens the gradebook or the course
directory, so the same function serves the local pool and a cluster.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grading.run import execute, sandbox, verdict

SLOTS = 256
"""Sandboxes that may run at once on one machine (each has its own unprivileged user)."""


@dataclass
class Job:
    """One submission to grade."""

    assignment: str
    student: str
    notebook: dict
    """Prepared by the coordinator: sanitized, test cells restored, their hidden tests taken
    out (:func:`grading.check.hidden.split`)."""
    checks: dict[str, str] = field(default_factory=dict)
    """The hidden tests of each graded part: the checker's code, never sent to the sandbox."""
    salt: int = 0
    """Mixed into the checker's seeds: this submission's inputs (:mod:`grading.check.grader`)."""
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    confined: bool = True


class GradingEnvironmentError(RuntimeError):
    """The grading environment failed before any of the student's code ran (the kernel did not
    start in the sandbox, a read-only setup cell failed, the kernel stopped during the setup):
    the submission was not graded, and its notebook says nothing about the student. The message
    names the student and the cause (an ImportError's text, a missing path)."""


@dataclass
class Outcome:
    """What came back: the executed notebook with its verdict, and what went wrong."""

    student: str
    notebook: dict
    seconds: float
    notes: list[str]
    host: str = ""
    """The machine that graded it (where a cluster is used, so a bad worker can be found)."""


@contextlib.contextmanager
def slot() -> Iterator[int]:
    """A sandbox slot of this machine that no other process holds (a file lock per slot), so
    that parallel sandboxes, from threads or from several worker processes, never share a user."""
    folder = Path(tempfile.gettempdir()) / "itm528-sandbox-slots"
    folder.mkdir(mode=0o700, exist_ok=True)
    for number in range(SLOTS):
        handle = (folder / f"{number}.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        try:
            yield number
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
        return
    raise RuntimeError(f"all {SLOTS} sandbox slots of this machine are busy")


def grade(job: Job) -> Outcome:
    """Execute ``job``'s notebook in a sandbox of its own and check it, then decide its verdict;
    :class:`GradingEnvironmentError` where the environment, not the submission, failed."""
    with slot() as number:
        result = execute.run(job.notebook, number, job.limits, job.confined, job.checks, job.salt)
    if result.environment_error is not None:
        raise GradingEnvironmentError(
            f"{job.student}: not graded, the grading environment failed on "
            f"{os.uname().nodename}: {result.environment_error}"
        )
    notes = result.notes + verdict.decide(result.notebook, result.verdicts or {})
    return Outcome(job.student, dict(result.notebook), result.seconds, notes, os.uname().nodename)

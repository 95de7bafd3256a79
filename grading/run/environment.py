"""Whose failure it was: the grading environment's, before any student code ran, or the
submission's.

A notebook's first code cells are read-only setup (``import torch``, the course's ``utils``,
the grader); they run before any cell the student wrote. When the kernel does not start in the
sandbox, when one of those cells fails, or when the kernel stops while they run, no student code
has run yet: the sandbox, the environment or the machine is broken (a missing path, a package
that does not import, a kernel that cannot start). Such a run is not a grade; the worker reports
it as :class:`grading.run.worker.GradingEnvironmentError` with the cause named.
"""

from __future__ import annotations

from pathlib import Path

from grading import cells

LOG_TAIL = 1500
"""Characters of the kernel's console output quoted when it did not start."""


def first_student_cell(nb) -> int:
    """The index of the first cell whose code the student wrote (``len(nb.cells)``: none)."""
    return next((i for i, c in enumerate(nb.cells) if cells.is_student_code(c)), len(nb.cells))


def log_tail(log: Path | None) -> str:
    """The end of the kernel's console output ('' where none was kept)."""
    try:
        data = log.read_bytes()[-LOG_TAIL:] if log is not None else b""
    except OSError:
        return ""
    return " ".join(data.decode(errors="replace").split())


def failure(nb, started: bool, reached: int, stopped: str | None, log: str = "") -> str | None:
    """What failed in the grading environment before any student code ran, or None.

    ``started``: the kernel answered; ``reached``: the index of the last cell sent to it (-1:
    none); ``stopped``: why the run ended early (None: it ran to its end); ``log``: the end of
    the kernel's console output.
    """
    said = f"; the kernel's output ends: {log}" if log else ""
    if not started:
        why = f" ({stopped})" if stopped else ""
        return f"the kernel did not start in the sandbox{why}{said}"
    first = first_student_cell(nb)
    for i, cell in enumerate(nb.cells[:first]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                name = cells.grade_id(cell) or "read-only"
                return (
                    f"setup cell {i + 1} ({name}) failed before any student code ran: "
                    f"{out.get('ename', '')}: {out.get('evalue', '')}"
                )
    if stopped is not None and reached < first:
        return f"the kernel stopped during the setup, before any student code ran ({stopped}){said}"
    return None

"""What the grader makes of a notebook before and after running it: the rules, in public.

Knowing the rules is the point: the grader (``grading``) and the student's check before submitting
(:mod:`utils.handin`) both read them from here, so that what the check predicts is what the grader
does. A notebook is read as nbformat reads it or as plain JSON (a dict); a cell's source may be one
string or a list of lines.

* Which cell is what: :func:`grade_id`, :func:`is_answer`, :func:`is_test`,
  :func:`is_student_code`, :func:`kind`, read from the nbgrader metadata of the release.
* What a notebook's code may not do: :func:`findings` (the static policy of
  :mod:`utils.policy`, applied to every cell the student wrote), and what a finding costs:
  :func:`zeroed`, every test after the first finding scores 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from utils.policy import imports_of, scan

CELL_SECONDS = 180.0
"""How long one cell may run when the grader runs the notebook: a cell that runs longer is
interrupted (a test cell then scores 0) and the next cell runs. The slowest honest cell (training
a CNN, about 15 s on a 2-core CPU) has more than 3x headroom."""
NOTEBOOK_SECONDS = 900.0
"""How long the whole notebook may run when the grader runs it: it is stopped there, and every
test that has not run scores 0."""


def source(cell: Mapping) -> str:
    """The cell's source as one string."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else str(text)


def nbgrader(cell: Mapping) -> dict:
    """The cell's nbgrader metadata ({} for a cell nbgrader does not track)."""
    meta = cell.get("metadata", {}) or {}
    found = meta.get("nbgrader", {}) if isinstance(meta, Mapping) else {}
    return found if isinstance(found, dict) else {}


def grade_id(cell: Mapping) -> str | None:
    """The grade id of a cell nbgrader tracks (graded, answer or read-only), else None."""
    meta = nbgrader(cell)
    tracked = meta.get("grade") or meta.get("solution") or meta.get("locked")
    return meta.get("grade_id") if tracked else None


def signature(text: str) -> str:
    """The first line of code of ``text`` where it is a ``def`` or ``class`` line (else ""): how
    the grader recognises an answer cell that lost its metadata."""
    first = next((ln.strip() for ln in text.splitlines()
                  if ln.strip() and not ln.startswith("#")), "")  # fmt: skip
    return first if first.startswith(("def ", "class ")) else ""


def is_answer(cell: Mapping) -> bool:
    """A cell the student fills in (code or a written answer)."""
    return bool(nbgrader(cell).get("solution"))


def is_test(cell: Mapping) -> bool:
    """An autograded test cell: code, graded, not an answer."""
    meta = nbgrader(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_student_code(cell: Mapping) -> bool:
    """A code cell whose source the student wrote: an answer cell or one the student added."""
    meta = nbgrader(cell)
    return (
        cell.get("cell_type") == "code"
        and not meta.get("locked")
        and not (meta.get("grade") and not meta.get("solution"))
    )


def kind(cell: Mapping) -> str:
    """ "answer", "test" or "read-only": how a report names a tracked cell."""
    if is_answer(cell):
        return "answer"
    return "test" if nbgrader(cell).get("grade") else "read-only"


@dataclass(frozen=True)
class Finding:
    """One construct in the student's code that can tamper with grading."""

    cell: int
    """Position of the cell in the notebook (from 0)."""
    line: int
    what: str


READ_CELLS = 1000
"""Student code cells the grader reads at most; an assignment has a few dozen."""
READ_BYTES = 2**20
"""Bytes of student code the grader reads at most; a reference solution has a few KB."""
PAST_LIMIT = (
    f"student code past the grader's reading limit ({READ_CELLS} cells or "
    f"{READ_BYTES // 2**10} KB) is not read"
)


def reading_limit(cells: Sequence[Mapping]) -> int:
    """The index of the first cell past what the grader reads (``len(cells)`` when the
    student's code is within :data:`READ_CELLS` and :data:`READ_BYTES`)."""
    count = size = 0
    for i, cell in enumerate(cells):
        if is_student_code(cell):
            count, size = count + 1, size + len(source(cell).encode())
            if count > READ_CELLS or size > READ_BYTES:
                return i
    return len(cells)


def findings(nb: Mapping) -> list[Finding]:
    """Every construct of :mod:`utils.policy` in the student's code cells of ``nb`` (answer cells
    and cells the student added; the read-only and test cells are the release's), read once
    each. Student code past the reading limit is one finding at the cell where it begins, so
    that a notebook cannot make the grader slow."""
    cells = nb["cells"]
    end = reading_limit(cells)
    read = [
        c for i, c in enumerate(cells)
        if c.get("cell_type") == "code" and (i < end or not is_student_code(c))
    ]  # fmt: skip
    imported = imports_of(source(c) for c in read)
    found = [
        Finding(i, line, what)
        for i, cell in enumerate(cells[:end])
        if is_student_code(cell)
        for line, what in scan(source(cell), imported=imported)
    ]
    return found + ([Finding(end, 0, PAST_LIMIT)] if end < len(cells) else [])


def zeroed(nb: Mapping, found: Sequence[Finding]) -> list[str]:
    """The grade ids of the tests that ``found`` costs: every test after the first finding."""
    if not found:
        return []
    first = min(f.cell for f in found)
    return [
        grade_id(c) or f"cell {i + 1}"
        for i, c in enumerate(nb["cells"])
        if i > first and is_test(c)
    ]  # fmt: skip

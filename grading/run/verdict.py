"""The verdict stage: what each test cell earned, decided outside the student's kernel.

nbgrader scores a test cell by its outputs: full points unless it shows an error. A kernel that
runs student code can fake that (a patched grader, a replaced check, a hook that hides errors),
so the verdict does not trust the kernel alone:

1. **Code that reaches into the grader is found before it matters.** The student's own code
   (answer cells and any cell the student added; never the read-only or test cells, which were
   restored from the gradebook) is parsed here, outside the kernel, and searched for what no
   answer to these assignments needs and every known way of tampering uses
   (:mod:`grading.run.policy`). Every test cell after the first such cell scores 0, with the reason
   in the CSV notes.
2. **A test cell that did not run scores 0**, whatever the reason (the kernel died, the
   submission's time ran out), instead of nbgrader's full points for a cell without an error.
3. The grader's own in-kernel check (``GRADER.verify()``) still stops casual patching at run time.

The decisions are written into the notebook as error outputs, so that nbgrader's own scoring
(and the feedback a student reads) agree with them.
"""

from __future__ import annotations

from dataclasses import dataclass

import nbformat

from grading import cells
from grading.run.policy import imports_of, scan


@dataclass(frozen=True)
class Finding:
    """One construct in the student's code that can tamper with grading."""

    cell: int
    """Position of the cell in the executed notebook."""
    line: int
    what: str


READ_CELLS = 1000
"""Student code cells the verdict reads at most; an assignment has a few dozen."""
READ_BYTES = 2**20
"""Bytes of student code the verdict reads at most; a reference solution has a few KB."""
PAST_LIMIT = (
    f"student code past the grader's reading limit ({READ_CELLS} cells or "
    f"{READ_BYTES // 2**10} KB) is not read"
)


def reading_limit(nb) -> int:
    """The index of the first cell past what the verdict reads (``len(nb.cells)`` when the
    student's code is within :data:`READ_CELLS` and :data:`READ_BYTES`)."""
    count = size = 0
    for i, cell in enumerate(nb.cells):
        if cells.is_student_code(cell):
            count, size = count + 1, size + len(cells.source(cell).encode())
            if count > READ_CELLS or size > READ_BYTES:
                return i
    return len(nb.cells)


def findings(nb) -> list[Finding]:
    """Every tampering construct in the student's code cells of ``nb``, read once each. Student
    code past the reading limit is one finding at the cell where it begins, so that a notebook
    cannot make the verdict slow, and every test after it scores 0."""
    end = reading_limit(nb)
    read = [
        c for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (i < end or not cells.is_student_code(c))
    ]  # fmt: skip
    imported = imports_of(cells.source(c) for c in read)
    found = [
        Finding(i, line, what)
        for i, cell in enumerate(nb.cells[:end])
        if cells.is_student_code(cell)
        for line, what in scan(cells.source(cell), imported=imported)
    ]
    return found + ([Finding(end, 0, PAST_LIMIT)] if end < len(nb.cells) else [])


def _zero(cell, ename: str, message: str) -> None:
    cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
    cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=message,
                                               traceback=[f"{ename}: {message}"]))  # fmt: skip


def decide(nb) -> list[str]:
    """Write the verdict into the executed notebook ``nb``; return the notes for the CSV."""
    notes: list[str] = []
    found = findings(nb)
    first = min(found, key=lambda f: f.cell, default=None)
    reason = (
        "the notebook's code reaches into the grader"
        if first is None or first.what != PAST_LIMIT
        else "the notebook's code is past what the grader reads"
    )
    tampering = [f for f in found if f.what != PAST_LIMIT]
    if tampering:
        shown = "; ".join(f"cell {f.cell + 1}, line {f.line}: {f.what}" for f in tampering[:5])
        more = f" (and {len(tampering) - 5} more)" if len(tampering) > 5 else ""
        notes.append(f"tampering: {shown}{more}; every test after it scores 0")
    notes += [f"cell {f.cell + 1}: {f.what}; every test after it scores 0"
              for f in found if f.what == PAST_LIMIT]  # fmt: skip
    skipped = []
    for i, cell in enumerate(nb.cells):
        if not cells.is_test(cell):
            continue
        meta = cells.nbgrader(cell)
        if first is not None and i > first.cell:
            _zero(cell, "TamperingError", f"{reason} (see the notes of your grade); this test "
                  "scores 0")  # fmt: skip
        elif cell.get("execution_count") is None:
            skipped.append(meta.get("grade_id", f"cell {i + 1}"))
            _zero(cell, "NotExecuted", "this test did not run (the notebook stopped before it)")
        elif any(o.get("ename") == "TamperingError" for o in cell.get("outputs", [])):
            notes.append(f"tampering detected at run time in {meta.get('grade_id')}")
    if skipped:
        notes.append(f"tests that did not run score 0: {', '.join(skipped)}")
    return notes

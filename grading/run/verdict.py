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
from grading.run.policy import CELL_SEPARATOR, scan


@dataclass(frozen=True)
class Finding:
    """One construct in the student's code that can tamper with grading."""

    cell: int
    """Position of the cell in the executed notebook."""
    line: int
    what: str


def findings(nb) -> list[Finding]:
    """Every tampering construct in the student's code cells of ``nb``."""
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    context = CELL_SEPARATOR.join(code)
    return [
        Finding(i, line, what)
        for i, cell in enumerate(nb.cells)
        if cells.is_student_code(cell)
        for line, what in scan(cell.source, context)
    ]


def _zero(cell, ename: str, message: str) -> None:
    cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
    cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=message,
                                               traceback=[f"{ename}: {message}"]))  # fmt: skip


def decide(nb) -> list[str]:
    """Write the verdict into the executed notebook ``nb``; return the notes for the CSV."""
    notes: list[str] = []
    found = findings(nb)
    first = min((f.cell for f in found), default=None)
    if found:
        shown = "; ".join(f"cell {f.cell + 1}, line {f.line}: {f.what}" for f in found[:5])
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        notes.append(f"tampering: {shown}{more}; every test after it scores 0")
    skipped = []
    for i, cell in enumerate(nb.cells):
        if not cells.is_test(cell):
            continue
        meta = cells.nbgrader(cell)
        if first is not None and i > first:
            _zero(cell, "TamperingError", "the notebook's code reaches into the grader "
                  "(see the notes of your grade); this test scores 0")  # fmt: skip
        elif cell.get("execution_count") is None:
            skipped.append(meta.get("grade_id", f"cell {i + 1}"))
            _zero(cell, "NotExecuted", "this test did not run (the notebook stopped before it)")
        elif any(o.get("ename") == "TamperingError" for o in cell.get("outputs", [])):
            notes.append(f"tampering detected at run time in {meta.get('grade_id')}")
    if skipped:
        notes.append(f"tests that did not run score 0: {', '.join(skipped)}")
    return notes

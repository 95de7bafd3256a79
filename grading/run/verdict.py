"""The verdict stage: what each test cell earned, decided outside the student's kernel.

nbgrader scores a test cell by its outputs: full points unless it shows an error. A kernel that
runs student code can fake that (a patched grader, a replaced check, a hook that hides errors),
so the verdict does not trust the kernel alone:

1. **Code that reaches into the grader is found before it matters.** The student's own code
   (answer cells and any cell the student added; never the read-only or test cells, which were
   restored from the gradebook) is parsed here, outside the kernel, and searched for what no
   answer to these assignments needs and every known way of tampering uses
   (:mod:`utils.policy`). Every test cell after the first such cell scores 0, with the reason in
   the CSV notes. These rules are public (:mod:`utils.graded`): the student's check before
   submitting applies the same ones.
2. **A test cell that did not run scores 0**, whatever the reason (the kernel died, the
   submission's time ran out), instead of nbgrader's full points for a cell without an error.
3. The grader's own in-kernel check (``GRADER.verify()``) still stops casual patching at run time.

The decisions are written into the notebook as error outputs, so that nbgrader's own scoring
(and the feedback a student reads) agree with them.
"""

from __future__ import annotations

import nbformat

from grading import cells
from utils.graded import PAST_LIMIT, findings, zeroed


def _zero(cell, ename: str, message: str) -> None:
    """The test scores 0: its outputs become this one error. Nothing the kernel wrote is kept,
    since nbgrader reads a number the cell displayed as its partial grade."""
    cell.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=message,
                                           traceback=[f"{ename}: {message}"])]  # fmt: skip


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
    skipped, cost = [], set(zeroed(nb, found))
    for i, cell in enumerate(nb.cells):
        if not cells.is_test(cell):
            continue
        meta = cells.nbgrader(cell)
        if (cells.grade_id(cell) or f"cell {i + 1}") in cost:
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

"""The verdict stage: what each test cell earned, from the checker alone.

nbgrader scores a test cell by its outputs, and the student's kernel writes them; here no output
the kernel wrote decides anything:

1. **The checker decides every part.** Its verdicts (:mod:`grading.check`), reached by driving
   the kernel with the hidden tests the kernel never saw, replace every output of each test cell:
   a line for a pass, an error with the checker's message for a failure, the points for partial
   credit. What the kernel printed, hid, cleared or patched in a test cell is gone.
2. **Code that reaches into the grader costs its points.** The student's own code (answer cells
   and any cell the student added) is parsed here, outside the kernel, and searched for what no
   answer needs and every known way of tampering uses (:mod:`utils.policy`, public in
   :mod:`utils.graded`, applied by the student's check before submitting too); every test cell
   after the first such cell scores 0, with the reason in the CSV notes.
3. **A part computed the way its rule forbids costs that part** (:mod:`utils.how`, public too):
   a forbidden name in the part's own answer cells scores it 0; one in a cell the student added
   is written into the part's feedback and the CSV for a TA to review, and costs nothing.
4. **A part without a verdict scores 0**: the notebook stopped before its end (the kernel died,
   the submission's time ran out), so the checker never ran.

nbgrader's own scoring of the rewritten outputs (and the feedback a student reads) then agree.
"""

from __future__ import annotations

import nbformat

from grading import cells
from utils import how
from utils.graded import PAST_LIMIT, findings, zeroed


def _zero(cell, ename: str, message: str) -> None:
    """The test scores 0: its outputs become this one error. Nothing the kernel wrote is kept,
    since nbgrader reads a number the cell displayed as its partial grade."""
    cell.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=message,
                                           traceback=[f"{ename}: {message}"])]  # fmt: skip


def _write(cell, verdict) -> None:
    """The cell's outputs become the checker's verdict, and nothing else."""
    if not verdict.passed:
        _zero(cell, "CheckFailed", verdict.message)
        return
    text = "passed: checked by the grader's hidden tests\n"
    if verdict.points is None:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        return
    points = f"{verdict.points:g}"
    shown = f"{text}partial credit: {points} points\n"
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": points},
                                           execution_count=cell.get("execution_count")),
                    nbformat.v4.new_output("stream", name="stdout", text=shown)]  # fmt: skip


def decide(nb, verdicts: dict) -> list[str]:
    """Write the verdict into the executed notebook ``nb`` from the checker's ``verdicts``
    (grade id -> :class:`grading.check.process.Verdict`); return the notes for the CSV."""
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
        gid = cells.grade_id(cell) or f"cell {i + 1}"
        if gid in cost:
            _zero(cell, "TamperingError", f"{reason} (see the notes of your grade); this test "
                  "scores 0")  # fmt: skip
        elif gid not in verdicts:
            skipped.append(gid)
            _zero(cell, "NotExecuted", "this test did not run (the notebook stopped before it)")
        else:
            _write(cell, verdicts[gid])
    if skipped:
        notes.append(f"tests that did not run score 0: {', '.join(skipped)}")
    return notes + _rules(nb, cost)


def _rules(nb, zeroed_already: set[str]) -> list[str]:
    """The rules of how each part computes (:mod:`utils.how`): a part whose own cells break
    its rule scores 0; a forbidden name in a cell the student added goes to a TA's review."""
    notes, tests = [], {cells.grade_id(c): c for c in nb.cells if cells.is_test(c)}
    for found in how.broken(nb):
        cell, text = tests[found.test], how.message(found)
        if found.costs and found.test not in zeroed_already:
            notes.append(f"rule: {text}")
            _zero(cell, "RuleBroken", text)
            zeroed_already = zeroed_already | {found.test}
        elif not found.costs:
            notes.append(f"review: {text}")
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout",
                                                       text=f"for review: {text}\n"))  # fmt: skip
    return notes

"""The hidden tests out of the notebook that the kernel runs, into the checker's hands.

A test cell of a source notebook holds a visible part (the student's kernel runs it, for the
student's information, and it scores nothing) and hidden regions (``### BEGIN HIDDEN TESTS`` …
``### END HIDDEN TESTS``): the checker's code for that part, which decides its score. The
coordinator restores each test cell from the gradebook, then :func:`split` takes the hidden
regions out before the notebook goes to the sandbox; no copy of them is ever sent to the kernel.
"""

from __future__ import annotations

from grading import cells


def split(nb) -> dict[str, str]:
    """Take the hidden regions out of ``nb``'s test cells (in place); return the checker's code
    per graded test cell, in notebook order (a test cell without hidden code gets an empty
    check, which fails: every graded test is decided by the checker)."""
    checks: dict[str, str] = {}
    for i, cell in enumerate(nb["cells"]):
        if not cells.is_test(cell):
            continue
        text = cells.source(cell)
        checks[cells.grade_id(cell) or f"cell {i + 1}"] = "\n".join(
            cells.regions(text, ("hidden",))
        )
        cell["source"] = cells.without_hidden(text)
    return checks

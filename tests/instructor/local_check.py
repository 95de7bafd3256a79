"""The hidden tests of a notebook checked in this process, without a sandbox or a kernel.

The notebook's code cells (answers, read-only cells and the visible part of each test, as the
sandboxed kernel runs them; not the check before submitting) run in an IPython shell of this
process, and each part's hidden tests run right after its test cell against that namespace,
through the checker's own messages (:class:`grading.check.remote.LocalTarget`).
Fast enough to try every mistake of the catalogue; the batch tests run the real thing.
"""

from __future__ import annotations

import matplotlib

from grading import cells
from grading.check.hidden import split
from grading.check.remote import LocalTarget
from grading.check.runner import Verdict, check


def run_cells(nb: dict, upto: str | None = None, after_test=None) -> dict:
    """Run ``nb``'s code cells (its hidden tests taken out already; up to the test cell
    ``upto``, that one included) in a fresh IPython shell, calling ``after_test(grade_id,
    namespace)`` after each test cell as the grader asks its checker then; the namespace."""
    from IPython.core.interactiveshell import InteractiveShell

    matplotlib.use("Agg")
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    for cell in nb["cells"]:
        text = cells.source(cell)
        if cell["cell_type"] == "code" and "handin import" not in text:
            shell.run_cell(text, silent=True)
        if after_test is not None and cells.is_test(cell):
            after_test(cells.grade_id(cell), shell.user_ns)
        if upto is not None and cells.grade_id(cell) == upto:
            break
    return shell.user_ns


def check_notebook(nb: dict, only: set[str] | None = None, salt: int = 0) -> dict[str, Verdict]:
    """The checker's verdicts on ``nb`` (a source notebook with its hidden tests), each part
    checked right after its test cell ran, as the grader does."""
    nb = {**nb, "cells": [dict(c) for c in nb["cells"]]}
    checks = split(nb)
    verdicts = {}

    def after_test(grade_id, namespace):
        if grade_id in checks and (only is None or grade_id in only):
            verdicts[grade_id] = check(checks[grade_id], LocalTarget(namespace), salt)

    run_cells(nb, after_test=after_test)
    return verdicts


def check_part(nb: dict, grade_id: str, salt: int = 0) -> Verdict:
    """The checker's verdict on one part of ``nb``, its cells run up to that part's test."""
    nb = {**nb, "cells": [dict(c) for c in nb["cells"]]}
    checks = split(nb)
    if grade_id not in checks:
        raise KeyError(f"no test cell {grade_id!r}")
    return check(checks[grade_id], LocalTarget(run_cells(nb, grade_id)), salt)

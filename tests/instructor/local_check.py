"""The hidden tests of a notebook checked in this process, without a sandbox or a kernel.

The notebook's code cells (answers and read-only cells; not the tests, nor the check before
submitting) run in an IPython shell of this process, then each part's hidden tests run against
its namespace through the checker's own messages (:class:`grading.check.remote.LocalTarget`).
Fast enough to try every mistake of the catalogue; the batch tests run the real thing.
"""

from __future__ import annotations

import matplotlib

from grading import cells
from grading.check.hidden import split
from grading.check.remote import LocalTarget
from grading.check.runner import Verdict, check_all


def run_cells(nb: dict, upto: str | None = None) -> dict:
    """Run ``nb``'s answer and read-only code cells (up to the test cell ``upto``) in a fresh
    IPython shell; its namespace."""
    from IPython.core.interactiveshell import InteractiveShell

    matplotlib.use("Agg")
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    for cell in nb["cells"]:
        if cells.grade_id(cell) == upto and upto is not None:
            break
        text = cells.source(cell)
        if cell["cell_type"] != "code" or cells.is_test(cell) or "handin import" in text:
            continue
        shell.run_cell(text)
    return shell.user_ns


def check_notebook(nb: dict, only: set[str] | None = None, salt: int = 0) -> dict[str, Verdict]:
    """The checker's verdicts on ``nb`` (a source notebook with its hidden tests)."""
    nb = {**nb, "cells": [dict(c) for c in nb["cells"]]}
    checks = split(nb)
    if only is not None:
        checks = {k: v for k, v in checks.items() if k in only}
    return check_all(checks, LocalTarget(run_cells(nb)), salt)


def check_part(nb: dict, grade_id: str, salt: int = 0) -> Verdict:
    """The checker's verdict on one part of ``nb``, its cells run up to that part's test."""
    nb = {**nb, "cells": [dict(c) for c in nb["cells"]]}
    checks = split(nb)
    if grade_id not in checks:
        raise KeyError(f"no test cell {grade_id!r}")
    return check_all({grade_id: checks[grade_id]}, LocalTarget(run_cells(nb, grade_id)), salt)[
        grade_id
    ]

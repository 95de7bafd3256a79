"""The hand-in cells of each assignment agree with nbgrader_config.py's DEADLINES and are not
graded (grading/publish/handin_block.py writes them; ``python -m grading release`` runs it)."""

from __future__ import annotations

import datetime as dt

import nbformat
import pytest

from grading import cells, course
from grading.intake import deadlines
from grading.publish import handin_block

ASSIGNMENTS = [a for a in course.assignments() if course.paths().source(a).exists()]


def notebook(folder: str, assignment: str):
    return nbformat.read(course.ROOT / folder / assignment / f"{assignment}.ipynb", as_version=4)


def start_cell(nb):
    """The "Before you start" cell: the first markdown cell after the title and the read-only
    setup cells (the setup cell stays the second cell, as in every notebook)."""
    assert nb.cells[1].cell_type == "code", "the setup cell must stay the second cell"
    start = next(c for c in nb.cells[1:] if c.cell_type == "markdown")
    assert start.source.startswith("## Before you start"), "no Before you start cell near the top"
    return start


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_hand_in_cells_agree_with_the_deadlines(assignment):
    assert handin_block.problems(assignment) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_before_you_start_cell_states_the_due_time_and_the_late_policy(assignment):
    start = start_cell(notebook("solutions", assignment))
    rule = deadlines.deadline(assignment)
    assert rule is not None, f"nbgrader_config.py: DEADLINES has no entry for {assignment}"
    kst = rule.due.astimezone(dt.timezone(dt.timedelta(hours=9)))
    text = " ".join(start.source.split())
    assert f"{kst:%B} {kst.day}, {kst.year}, {kst:%H:%M} KST" in text
    assert f"{rule.penalty_per_day:g} % of your score" in text
    assert f"more than {rule.cutoff_days:g} days late" in text
    assert f"`{assignment}.ipynb`" in text and "Save a copy in Drive" in text


def test_a_changed_deadline_makes_the_check_fail(monkeypatch):
    real = course.config_entry

    def moved(table, assignment):
        entry = real(table, assignment)
        return {**entry, "due": "2026-12-24T23:59:00+09:00"} if table == "DEADLINES" else entry

    monkeypatch.setattr(course, "config_entry", moved)
    assert handin_block.problems(ASSIGNMENTS[0]), "a moved deadline went unnoticed"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("folder", ["solutions", "assignments"])
def test_the_hand_in_cells_are_not_graded_and_the_check_is_last(folder, assignment):
    nb = notebook(folder, assignment)
    start, submit, check = start_cell(nb), nb.cells[-2], nb.cells[-1]
    assert not cells.nbgrader(start) and not cells.nbgrader(submit)
    assert submit.source.startswith("## Before you submit")
    meta = cells.nbgrader(check)
    assert meta.get("grade_id") == "check_before_submit" and meta.get("locked") is True
    assert not meta.get("grade") and not meta.get("solution") and "points" not in meta
    assert check.source == (
        "# Check before you submit: what the grader will do differently with this notebook.\n"
        "# Save first (Colab: File > Save; Jupyter: Ctrl+S), then run this cell.\n"
        "from utils.handin import check\n"
        "\n"
        f'check("{assignment}")'
    )
    assert start.source == start_cell(notebook("solutions", assignment)).source, (
        f"{folder}/{assignment}: release it again (`python -m grading release`)"
    )

"""The verdict reads a notebook once, in time linear in its size, and no further than its
reading limit: a notebook of thousands of cells cannot make it slow, and what it does not read
it does not trust."""

from __future__ import annotations

import time

import nbformat

from grading import cells
from grading.check.runner import Verdict
from grading.run import verdict
from tests.instructor.test_nbgrader_pipeline import answered, cell_of
from utils import graded, policy


def executed(n_empty: int):
    """The reference answers of A1 as executed, with ``n_empty`` empty cells the student added
    before the first test."""
    nb = answered("a1_cnn")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count, cell.outputs = 1, []
    at = nb.cells.index(cell_of(nb, "test_conv2d_naive"))
    nb.cells[at:at] = [nbformat.v4.new_code_cell("") for _ in range(n_empty)]
    return nb


def all_passed(nb) -> dict:
    """The checker's verdicts for a notebook whose every part passed."""
    return {cells.grade_id(c): Verdict(True, "passed") for c in nb.cells if cells.is_test(c)}


def test_thousands_of_cells_are_decided_at_once_and_fail_closed():
    nb = executed(5000)
    started = time.perf_counter()
    notes = verdict.decide(nb, all_passed(nb))
    assert time.perf_counter() - started < 5  # it took 201 s when each cell re-read them all
    assert any("past the grader's reading limit" in n for n in notes), notes
    first_test = cell_of(nb, "test_conv2d_naive")
    assert first_test.outputs[-1]["ename"] == "TamperingError"
    assert "past what the grader reads" in first_test.outputs[-1]["evalue"]


def test_the_reading_is_linear_below_the_limit(monkeypatch):
    monkeypatch.setattr(graded, "READ_CELLS", 10_000)
    nb = executed(5000)
    nb.cells.insert(3, nbformat.v4.new_code_cell("import torch as t"))
    nb.cells.append(nbformat.v4.new_code_cell("t.allclose = print"))
    started = time.perf_counter()
    found = graded.findings(nb)
    assert time.perf_counter() - started < 5
    assert [(f.cell, f.what) for f in found] == [(len(nb.cells) - 1, "changes t.allclose")]


def test_an_honest_notebook_is_within_the_limit():
    nb = executed(0)
    assert graded.reading_limit(nb.cells) == len(nb.cells)
    assert verdict.decide(nb, all_passed(nb)) == []


def test_too_much_code_in_one_cell_is_past_the_limit():
    nb = executed(0)
    at = nb.cells.index(cell_of(nb, "test_conv2d_naive"))
    nb.cells.insert(at, nbformat.v4.new_code_cell("x = 1\n" * (graded.READ_BYTES // 6 + 1)))
    assert graded.reading_limit(nb.cells) == at
    assert [f.what for f in graded.findings(nb)] == [graded.PAST_LIMIT]


def test_code_too_deep_to_parse_is_a_finding_not_a_crash():
    for source in ("x = " + "-" * 100_000 + "1", "torch" + ".b" * 100_000 + " = 1"):
        assert policy.scan(source, "import torch") == [(1, policy.UNREADABLE)]

"""Fair warning: every graded part's visible test compares values, not only shapes.

Where a hidden test checks values, a student who passed the visible test should know that the
interface and the common case are right (GRADING.md, rule 7). These checks read the source
notebooks (no execution): the visible part of each autograded test cell, hidden regions removed,
must compare a result with expected values, and a part graded against a threshold must print the
margin to it.
"""

from __future__ import annotations

import ast

import nbformat
import pytest

from grading import cells, course

ASSIGNMENTS = [a for a in course.assignments() if (course.paths().source(a)).exists()]


def visible_tests(assignment: str) -> list[tuple[str, str]]:
    """(grade id, visible source) of each autograded test cell of ``assignment``."""
    nb = nbformat.read(course.paths().source(assignment), 4)
    return [
        (cells.grade_id(cell), cells.without_hidden(cell.source))
        for cell in nb.cells
        if cells.is_test(cell)
    ]


def hidden_tests(assignment: str) -> dict[str, str]:
    """Grade id -> the hidden regions of each autograded test cell of ``assignment``."""
    nb = nbformat.read(course.paths().source(assignment), 4)
    return {
        cells.grade_id(cell): "\n".join(cells.regions(cell.source, ("hidden",)))
        for cell in nb.cells
        if cells.is_test(cell)
    }


CELLS = [(a, gid, src) for a in ASSIGNMENTS for gid, src in visible_tests(a)]
IDS = [f"{a}/{gid}" for a, gid, _ in CELLS]
HIDDEN = {a: hidden_tests(a) for a in ASSIGNMENTS}


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def compares_values(tree: ast.AST) -> bool:
    """A call of GRADER.expect_close or torch.equal, or GRADER.expect_true of a comparison with
    a number (a metric against its threshold, an error against a tolerance)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        if node.func.attr in ("expect_close", "equal"):
            return True
        if node.func.attr == "expect_true" and node.args:
            for sub in ast.walk(node.args[0]):
                if isinstance(sub, ast.Compare) and any(
                    _is_number(side) for side in [sub.left, *sub.comparators]
                ):
                    return True
    return False


def test_every_assignment_has_visible_tests():
    assert {a for a, _, _ in CELLS} == set(ASSIGNMENTS) and len(ASSIGNMENTS) == 4


@pytest.mark.parametrize("assignment, grade_id, source", CELLS, ids=IDS)
def test_the_visible_test_compares_values(assignment, grade_id, source):
    tree = ast.parse(source)
    assert compares_values(tree), (
        f"{assignment}/{grade_id}: the visible test checks no values (only shapes or types): "
        "compare one small case with expected values, with the options the hidden tests use"
    )


@pytest.mark.parametrize("assignment, grade_id, source", CELLS, ids=IDS)
def test_a_part_with_a_threshold_prints_the_margin(assignment, grade_id, source):
    tree = ast.parse(source)
    last = tree.body[-1]
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.IfExp)):
        pytest.skip("no partial credit: no threshold")
    assert "margin" in source and "seeds" in source, (
        f"{assignment}/{grade_id}: a part scored against a threshold prints the margin to it and "
        "how much seeds move the result"
    )


@pytest.mark.parametrize("assignment, grade_id, source", CELLS, ids=IDS)
def test_a_part_whose_hidden_test_checks_devices_checks_them_visibly_too(
    assignment, grade_id, source
):
    """Code adapted from a chapter often makes a tensor on the CPU; the hidden test runs it on
    the meta device (a stand-in for a GPU). The visible test must warn first, the same way."""
    if "expect_device(" not in HIDDEN[assignment][grade_id]:
        pytest.skip("the hidden test checks no other device")
    assert "expect_device(" in source and '"meta"' in source, (
        f"{assignment}/{grade_id}: the hidden test runs the student's code on the meta device; "
        'the visible test must too (GRADER.expect_device(name, "meta", fn, *meta_inputs))'
    )


def test_the_check_tells_values_from_shapes():
    shapes_only = ast.parse('GRADER.expect_tensor("y", y, (2, 3))\nGRADER.expect_true(ok, "m")')
    assert not compares_values(shapes_only)
    assert compares_values(ast.parse('GRADER.expect_close("y", y, expected)'))
    assert compares_values(ast.parse('GRADER.expect_true(accuracy >= 0.95, "low")'))

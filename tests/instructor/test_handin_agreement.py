"""The check before submitting agrees with the grader: damaged and tampering notebooks, each built
from the reference answers of every part but the training (so that each of those parts would
score in full, without a training run per notebook), are graded in one batch with the reference
itself, and the check (:mod:`utils.handin`) must have predicted every part the grader zeroed (and
no other; the training part, left unanswered, aside) and named every repair and finding the
grader noted."""

from __future__ import annotations

import copy
import re

import nbformat
import pytest

from tests.instructor.sandboxing import grade_cli, read_csv, scratch_course, write_inbox
from tests.instructor.test_nbgrader_pipeline import (
    A1,
    answered,
    cell_of,
    training_test,
    untrained,
)
from utils import handin
from utils.handin_checks import RELEASES, release

NOTES = {
    r"tampering: ": "policy",
    r"was deleted; restored from the release": "deleted",
    r"appears \d+ times \(a copied cell\)": "duplicated",
    r"was edited; the grader uses the original": "edited",
    r"had lost its grading metadata; restored": "lost",
    r"unknown grade id": "unknown",
}
"""What a note of the grades CSV says, and the kind of item the check must have for it."""


def _index(nb, grade_id):
    return nb.cells.index(cell_of(nb, grade_id))


def imports_a_process_module():
    nb = untrained()
    cell = cell_of(nb, "conv2d_im2col")
    cell.source = "import subprocess\n\n" + cell.source
    return nb


def installs_with_a_shell_line():
    nb = untrained()
    cell = cell_of(nb, "max_pool2d")
    cell.source = "!pip install einops\n" + cell.source
    return nb


def deleted_answer():
    nb = untrained()
    nb.cells.remove(cell_of(nb, "conv2d_backward"))
    return nb


def deleted_test_and_edited_test():
    nb = untrained()
    nb.cells.remove(cell_of(nb, "test_max_pool2d"))
    cell = cell_of(nb, "test_conv2d_naive")
    cell.source = cell.source.replace("GRADER.verify()", "GRADER.verify()\nprint('skip me')", 1)
    return nb


def duplicated_answer():
    nb = untrained()
    i = _index(nb, "conv2d_naive")
    twin = copy.deepcopy(nb.cells[i])
    twin.id = "copied-cell"
    nb.cells.insert(i + 1, twin)
    return nb


def retyped_answer():
    """The residual block's answer turned into a markdown cell (a slip of the keyboard)."""
    nb = untrained()
    i = _index(nb, "residual_block")
    old = nb.cells[i]
    nb.cells[i] = nbformat.v4.new_markdown_cell(old.source, metadata=old.metadata)
    return nb


def lost_metadata():
    nb = untrained()
    cell_of(nb, "max_pool2d").metadata.pop("nbgrader")
    return nb


def ran_out_of_order():
    """conv2d_naive calls a helper that the student defined in a cell below its test: it worked
    in the student's session, which ran that cell first."""
    nb = untrained()
    i = _index(nb, "conv2d_naive")
    cell = nb.cells[i]
    cell.source = cell.source.replace("def conv2d_naive(", "def _conv2d_naive(", 1)
    cell.source += "\n\n\ndef conv2d_naive(*args, **kwargs):\n    return _helper(*args, **kwargs)\n"
    helper = nbformat.v4.new_code_cell("_helper = _conv2d_naive")
    nb.cells.insert(_index(nb, "test_conv2d_naive") + 1, helper)
    counts = iter(range(1, 1000))
    for c in nb.cells:
        if c.cell_type == "code":
            c.execution_count = next(counts)
    helper.execution_count, cell.execution_count = 1, 2  # the helper ran first
    return nb


CASES = {
    "imports_a_process_module": imports_a_process_module,
    "installs_with_a_shell_line": installs_with_a_shell_line,
    "deleted_answer": deleted_answer,
    "deleted_test_and_edited_test": deleted_test_and_edited_test,
    "duplicated_answer": duplicated_answer,
    "retyped_answer": retyped_answer,
    "lost_metadata": lost_metadata,
    "ran_out_of_order": ran_out_of_order,
    "reference": lambda: answered(A1),
}
FRESH_RUN = {"ran_out_of_order", "reference"}
"""The cases whose check runs the notebook (the others are decided without running it)."""


@pytest.fixture(scope="module")
def graded(sandboxed, tmp_path_factory):
    notebooks = {name: make() for name, make in CASES.items()}
    root = scratch_course(tmp_path_factory.mktemp("handin-course"))
    inbox = write_inbox(root, notebooks)
    done = grade_cli(root, A1, "--submissions", str(inbox), "--jobs", "2", "--cell-timeout", "90")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = read_csv(root / "grades" / f"{A1}.csv")
    folder = tmp_path_factory.mktemp("handin-checks")
    reports = {}
    for name, nb in notebooks.items():
        path = folder / f"{name}.ipynb"
        nbformat.write(nb, path)
        reports[name] = handin.check(A1, path, run=name in FRESH_RUN)
    return rows, reports


UNANSWERED = {training_test(A1)}
"""The test of the part the damaged notebooks leave as released: zero whatever the check says."""


def _zeroed_by_grader(row) -> set[str]:
    tests = [e for e in release(A1) if e["kind"] == "test"]
    return {e["grade_id"] for e in tests if float(row[e["grade_id"]] or 0) == 0.0}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_check_predicts_every_zeroed_part(graded, name):
    rows, reports = graded
    row, report = rows[name], reports[name]
    aside = set() if name == "reference" else UNANSWERED
    assert _zeroed_by_grader(row) - aside == set(report.zeroed) - aside, (
        row["notes"], report.text())  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_check_names_everything_the_grader_noted(graded, name):
    rows, reports = graded
    kinds = {item.kind for item in reports[name].items}
    notes = rows[name]["notes"]
    wanted = {kind for pattern, kind in NOTES.items() if re.search(pattern, notes)}
    assert wanted <= kinds, (notes, reports[name].text())


def test_the_cases_are_what_they_claim(graded):
    rows, reports = graded
    assert float(rows["reference"]["score"]) == 90.0
    assert reports["reference"].zeroed == [] and all(reports["reference"].visible.values())
    assert {"policy"} <= {i.kind for i in reports["imports_a_process_module"].items}
    assert {"order"} <= {i.kind for i in reports["ran_out_of_order"].items}
    assert {"retyped"} <= {i.kind for i in reports["retyped_answer"].items}
    assert float(rows["duplicated_answer"]["score"]) == 70.0  # every part but the training
    assert all(float(rows[name]["test_train_cnn"]) == 0 for name in CASES if name != "reference")


def test_the_release_manifest_is_the_released_notebooks():
    from grading.publish import release as releasing

    assert RELEASES.read_text().strip() and releasing.manifest() == {
        a: release(a) for a in releasing.manifest()
    }

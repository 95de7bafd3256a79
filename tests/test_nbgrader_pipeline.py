"""The nbgrader pipeline end to end: release in sync, nothing leaks, grading is fair and robust.

One batch of submissions (reference, blank, partial, and damaged or hostile ones) is autograded
once, in a scratch copy of the course, and the tests read its grades CSV and feedback.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grading import course
from tests.test_book import HTML

ASSIGNMENTS = [a for a in course.assignments() if (course.SOURCE / a / f"{a}.ipynb").exists()]
A1 = "a1_cnn"
CELL_TIMEOUT_S = 30  # the batch's per-cell limit: the slowest honest cell takes about 10 s


def source_nb(assignment: str = A1):
    return nbformat.read(course.SOURCE / assignment / f"{assignment}.ipynb", as_version=4)


def release_nb(assignment: str = A1):
    return nbformat.read(course.RELEASE / assignment / f"{assignment}.ipynb", as_version=4)


def _regions(source: str, begin: str, end: str) -> list[str]:
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def secret_lines(assignment: str) -> set[str]:
    """Distinctive lines of the solutions and hidden tests that the release must not contain:
    long ones that appear neither in the release nor in the book's chapters or utils (generic
    lines such as ``with torch.no_grad():`` would be found everywhere)."""
    public = [c.source for c in release_nb(assignment).cells]
    public += [p.read_text() for p in (course.ROOT / "book").glob("*.ipynb")]
    public += [p.read_text() for p in (course.ROOT / "utils").glob("*.py")]
    released = "\n".join(public)
    secrets = set()
    for cell in source_nb(assignment).cells:
        for begin, end in (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN", "END HIDDEN")):
            secrets |= {ln.strip() for ln in _regions(cell.source, begin, end)}
    return {s for s in secrets if len(s) >= 20 and s not in released}


def leaks(folder: Path, assignment: str) -> list[str]:
    """(file, line) of every secret line found in any text file under ``folder``."""
    secrets = secret_lines(assignment)
    found = []
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix in {".png", ".woff", ".svg", ".ico", ".pickle"}:
            continue
        text = path.read_text(errors="ignore")
        for marker in ("BEGIN HIDDEN TESTS", "BEGIN SOLUTION", *secrets):
            if marker in text:
                found.append(f"{path.relative_to(folder)}: {marker[:60]}")
    return found


# --- release --------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_is_exactly_what_nbgrader_generates(assignment, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "grading", "release", assignment, "--dest", str(tmp_path)],
        cwd=course.ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    fresh = json.loads((tmp_path / assignment / f"{assignment}.ipynb").read_text())
    committed = json.loads((course.RELEASE / assignment / f"{assignment}.ipynb").read_text())
    assert fresh == committed, f"assignments/{assignment} is out of date: run `make assignments`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solution_or_hidden_test(assignment):
    assert secret_lines(assignment), "found no solution lines to look for: the check is vacuous"
    assert leaks(course.RELEASE / assignment, assignment) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_points_add_up_to_100_with_one_manual_answer(assignment):
    graded = [c.metadata["nbgrader"] for c in source_nb(assignment).cells
              if c.metadata.get("nbgrader", {}).get("grade")]  # fmt: skip
    assert sum(g["points"] for g in graded) == 100
    manual = [g for g in graded if g.get("solution")]
    assert len(manual) == 1, "one manually graded written answer"


@pytest.mark.book
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_built_book_has_no_solution_or_hidden_test(assignment):
    if not HTML.exists():
        pytest.fail(f"{HTML} is missing: run `make book`")
    assert (HTML / "assignments" / assignment / f"{assignment}.html").exists()
    assert leaks(HTML, assignment) == []


def test_public_copy_has_no_solutions_grading_data_or_hidden_tests(tmp_path):
    dest = tmp_path / "public"
    result = subprocess.run(
        [sys.executable, "-m", "grading", "public", str(dest)], cwd=course.ROOT,
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert (dest / "assignments" / A1 / f"{A1}.ipynb").exists()
    assert (dest / "book" / "01_introduction.ipynb").exists()
    for excluded in ("solutions", "grading", "nbgrader_config.py", "gradebook.db", "submitted"):
        assert not (dest / excluded).exists(), f"{excluded} was copied into the public version"
    for assignment in ASSIGNMENTS:
        assert leaks(dest, assignment) == []


def test_public_copy_refuses_a_folder_inside_the_repository():
    result = subprocess.run(
        [sys.executable, "-m", "grading", "public", str(course.ROOT / "public")], cwd=course.ROOT,
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0 and "inside the repository" in result.stderr


# --- grading a batch ------------------------------------------------------------------------


def solution_code(cell) -> str:
    """A source cell's code with the solution markers removed: the reference answer."""
    return "\n".join(ln for ln in cell.source.splitlines() if "### BEGIN SOLUTION" not in ln
                     and "### END SOLUTION" not in ln)  # fmt: skip


def answered(parts: set[str] | None = None):
    """The release with the reference answers of ``parts`` (default: every code part)."""
    nb = release_nb()
    reference = {c.metadata["nbgrader"]["grade_id"]: c for c in source_nb().cells
                 if c.metadata.get("nbgrader", {}).get("solution")}  # fmt: skip
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and gid in reference and (parts is None or gid in parts):
            cell.source = solution_code(reference[gid])
    return nb


def cell_of(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def submissions() -> dict[str, object]:
    """Student name -> notebook (or raw bytes) of the batch."""
    subs: dict[str, object] = {"reference": source_nb(), "blank": release_nb()}
    subs["partial"] = answered({"conv2d_naive", "max_pool2d", "residual_block"})

    nb = answered()
    cell = cell_of(nb, "conv2d_naive")
    cell.source = cell.source.replace(
        '"""2-D convolution', 'import sys, warnings\n    warnings.warn("slow loops")\n'
        '    print("debug: in conv2d_naive", file=sys.stderr)\n    """2-D convolution',
    )  # fmt: skip
    cell.source = "import warnings\nwarnings.warn('defining conv2d_naive')\n" + cell.source
    subs["warnings"] = nb

    nb = answered()
    cell_of(
        nb, "conv2d_naive"
    ).source = "def conv2d_naive(x, w, b=None, stride=1, padding=0):\n    return x"
    cell_of(nb, "test_conv2d_naive").source = 'print("all tests passed")'
    subs["edited_test"] = nb

    nb = answered()
    nb.cells.remove(cell_of(nb, "test_max_pool2d"))
    subs["deleted_test"] = nb

    nb = answered()
    original = cell_of(nb, "conv2d_naive")
    stub = copy.deepcopy(original)
    stub.source = cell_of(release_nb(), "conv2d_naive").source
    stub.id = "copied-cell"
    nb.cells.insert(nb.cells.index(original), stub)
    subs["copied_cell"] = nb

    nb = answered()
    lost = cell_of(nb, "residual_block")
    lost.metadata = {}
    lost.id = "recreated-cell"
    subs["lost_metadata"] = nb

    subs["broken_file"] = b'{"cells": [ this is not json'

    nb = answered()
    cell_of(nb, "max_pool2d").source = "import os\nos._exit(1)\n" + cell_of(nb, "max_pool2d").source
    subs["hostile_exit"] = nb

    nb = answered()
    cell_of(nb, "max_pool2d").source = "while True:\n    pass\n" + cell_of(nb, "max_pool2d").source
    subs["hostile_loop"] = nb

    nb = answered()
    cell_of(nb, "conv2d_naive").source = (
        "def conv2d_naive(x, w, b=None, stride=1, padding=0):\n"
        "    return torch.zeros(1)\n\n"
        "F.conv2d = lambda x, w, b=None, stride=1, padding=0: conv2d_naive(x, w, b)\n"
        "torch.allclose = lambda *args, **kwargs: True"
    )
    subs["hostile_patch"] = nb
    return subs


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """Grade every submission once in a scratch copy of the course; return the CSV rows."""
    root = tmp_path_factory.mktemp("course")
    for name in ("grading", "solutions", "assignments"):
        shutil.copytree(
            course.ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(course.ROOT / "nbgrader_config.py", root)
    inbox = root / "inbox"
    inbox.mkdir()
    for student, nb in submissions().items():
        path = inbox / f"{student}.ipynb"
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        else:
            nbformat.write(nb, path)
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-m", "grading", "grade", A1, "--submissions", str(inbox),
         "--cell-timeout", str(CELL_TIMEOUT_S), "--timeout", "600"],
        cwd=root, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with (root / "grades" / f"{A1}.csv").open() as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    print(result.stdout)
    return root, rows


def score(rows, student) -> float:
    return float(rows[student]["score"])


def test_every_submission_gets_a_row(batch):
    _, rows = batch
    assert set(rows) == set(submissions())


def test_reference_gets_full_autograded_marks_and_awaits_manual_grading(batch):
    _, rows = batch
    assert score(rows, "reference") == 90.0
    assert rows["reference"]["needs_manual_grade"] == "True"
    assert rows["reference"]["written_answer"] == ""
    print(f"reference autograded in {rows['reference']['seconds']} s")
    assert float(rows["reference"]["seconds"]) < 120


def test_blank_release_scores_zero(batch):
    _, rows = batch
    assert score(rows, "blank") == 0.0
    assert rows["blank"]["written_answer"] == "0.0"  # an untouched answer is zero, not pending


def test_partial_submission_gets_exactly_the_points_of_its_right_parts(batch):
    _, rows = batch
    row = rows["partial"]
    assert score(rows, "partial") == 15 + 10 + 15
    assert [
        float(row[c]) for c in ("test_conv2d_naive", "test_max_pool2d", "test_residual_block")
    ] == [15, 10, 15]
    assert float(row["test_conv2d_im2col"]) == 0 and float(row["test_train_cnn"]) == 0


def test_warnings_of_an_honest_solution_cost_nothing(batch):
    _, rows = batch
    assert score(rows, "warnings") == 90.0


def test_edited_test_cell_is_restored_and_reported(batch):
    _, rows = batch
    assert score(rows, "edited_test") == 75.0  # the restored test catches the wrong answer
    assert "'test_conv2d_naive' was edited" in rows["edited_test"]["notes"]


def test_deleted_test_cell_is_restored_graded_and_reported(batch):
    _, rows = batch
    assert score(rows, "deleted_test") == 90.0
    assert float(rows["deleted_test"]["test_max_pool2d"]) == 10
    assert "'test_max_pool2d' was deleted" in rows["deleted_test"]["notes"]


def test_copied_cell_is_graded_on_the_students_work_and_reported(batch):
    _, rows = batch
    assert score(rows, "copied_cell") == 90.0
    assert "'conv2d_naive' appears 2 times" in rows["copied_cell"]["notes"]


def test_lost_metadata_is_restored_and_reported(batch):
    _, rows = batch
    assert score(rows, "lost_metadata") == 90.0
    assert "'residual_block' had lost its grading metadata" in rows["lost_metadata"]["notes"]


def test_unreadable_file_is_reported_not_fatal(batch):
    _, rows = batch
    assert score(rows, "broken_file") == 0.0
    assert "not a readable notebook" in rows["broken_file"]["notes"]


def test_hostile_submissions_score_no_more_than_an_honest_wrong_answer(batch):
    _, rows = batch
    assert score(rows, "hostile_exit") <= 30.0  # nothing after the kernel died
    assert "stopped the Python kernel" in rows["hostile_exit"]["notes"]
    assert score(rows, "hostile_loop") == 80.0  # only the looping part is lost
    assert "time limit" in rows["hostile_loop"]["notes"]
    assert float(rows["hostile_patch"]["test_conv2d_naive"]) == 0
    assert score(rows, "hostile_patch") <= 75.0


def test_feedback_exists_and_hides_the_hidden_tests(batch):
    root, rows = batch
    for student in ("reference", "blank", "partial", "edited_test"):
        page = root / "feedback" / student / A1 / f"{A1}.html"
        assert page.exists(), f"no feedback for {student}"
    assert leaks(root / "feedback", A1) == []
    blank = (root / "feedback" / "blank" / A1 / f"{A1}.html").read_text()
    assert "NotImplementedError" in blank  # the student sees why each test failed


def test_original_submission_is_kept_beside_a_repaired_one(batch):
    root, _ = batch
    folder = root / "submitted" / "deleted_test" / A1
    assert (folder / f"{A1}.ipynb.original").exists()
    original = nbformat.read(folder / f"{A1}.ipynb.original", as_version=4)
    assert not any(
        c.metadata.get("nbgrader", {}).get("grade_id") == "test_max_pool2d" for c in original.cells
    )

"""The nbgrader pipeline end to end: release in sync, nothing leaks, grading is fair and robust.

One batch of submissions (reference, blank, partial, and damaged or hostile ones) is autograded
once, in a scratch copy of the course, and the tests read its grades CSV and feedback.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grading import cells, course
from tests.instructor.sandboxing import set_deadlines
from tests.test_book import HTML

COURSE = course.paths()  # the real course, read even while a test moves course.ROOT

ASSIGNMENTS = [a for a in course.assignments() if (COURSE.source(a)).exists()]
A1 = "a1_cnn"
CELL_TIMEOUT_S = {A1: 60}
"""The batch's per-cell limit (90 s where not given): the slowest honest cell, a training run,
takes about 20 s; assignment 1's batch waits out a student's endless loop once."""


def source_nb(assignment: str = A1):
    return nbformat.read(COURSE.source(assignment), as_version=4)


def release_nb(assignment: str = A1):
    return nbformat.read(COURSE.release(assignment), as_version=4)


def secret_lines(assignment: str, kinds: tuple[str, ...] = ("solution", "hidden")) -> set[str]:
    """Distinctive lines of the solutions and hidden tests that the release must not contain:
    long ones that appear neither in the release nor in the book's chapters, utils or tests
    (generic lines such as ``with torch.no_grad():`` would be found everywhere)."""
    public = [c.source for c in release_nb(assignment).cells]
    chapters = sorted((course.ROOT / "book").glob("*.ipynb"))
    public += [c.source for p in chapters for c in nbformat.read(p, as_version=4).cells]
    public += [
        p.read_text() for folder in ("utils", "tests") for p in (course.ROOT / folder).glob("*.py")
    ]
    released = "\n".join(public)
    secrets: dict[str, set[str]] = {kind: set() for kind in cells.REGIONS}
    for cell in source_nb(assignment).cells:
        for kind in cells.REGIONS:
            lines = [
                ln for region in cells.regions(cell.source, (kind,)) for ln in region.splitlines()
            ]
            secrets[kind] |= {ln.split("  # ")[0].strip() for ln in lines}  # without comments
    if "solution" not in kinds:  # a hidden test may share a line with the solution itself
        secrets["hidden"] -= secrets["solution"]
    secrets = set().union(*(secrets[kind] for kind in kinds))
    return {s for s in secrets if len(s) >= 20 and s not in released}


# A solution or hidden-test region: the marker at the start of a line of code (or of an HTML
# element in a rendered page, or of a JSON string in a notebook); a mention in prose is not.
MARKERS = {"solution": "SOLUTION", "hidden": "HIDDEN TESTS"}


def marker(kinds: tuple[str, ...]) -> re.Pattern:
    names = "|".join(MARKERS[kind] for kind in kinds)
    return re.compile(rf"(^|>|\")[ \t]*### BEGIN ({names})", re.MULTILINE)


def _strings(obj) -> list[str]:
    """Every string in a JSON document, a multi-line source list joined into one."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, list) and all(isinstance(x, str) for x in obj):
        return ["".join(obj)]
    values = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else []
    return [s for v in values for s in _strings(v)]


def leaks(
    folder: Path, assignment: str, kinds: tuple[str, ...] = ("solution", "hidden")
) -> list[str]:
    """(file, line) of every secret line found in any text file under ``folder``; HTML pages
    are searched in their text, without the tags that syntax highlighting puts in code."""
    secrets, regions = secret_lines(assignment, kinds), marker(kinds)
    found = []
    for path in folder.rglob("*"):
        if not path.is_file() or path.suffix in {".png", ".woff", ".svg", ".ico", ".pickle"}:
            continue
        text = path.read_text(errors="ignore")
        if path.suffix == ".ipynb":
            with contextlib.suppress(ValueError):
                text = "\n".join(_strings(json.loads(text)))  # the lines of sources and outputs
        if path.suffix == ".html":
            text = html.unescape(re.sub(r"<[^>]+>", "", text))
        if match := regions.search(text):
            found.append(f"{path.relative_to(folder)}: {match.group(0).strip()}")
        # whole lines only: a short secret line may be the start of a longer line of the student's
        lines = {ln.split("  # ")[0].strip() for ln in text.splitlines()}
        found += [f"{path.relative_to(folder)}: {s[:60]}" for s in secrets if s in lines]
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
    committed = json.loads((COURSE.release(assignment)).read_text())
    assert fresh == committed, f"assignments/{assignment} is out of date: run `make assignments`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solution_or_hidden_test(assignment):
    assert secret_lines(assignment), "found no solution lines to look for: the check is vacuous"
    assert leaks(course.ROOT / "solutions" / assignment, assignment), (
        "the leak check misses the source itself"
    )
    hidden = secret_lines(assignment, kinds=("hidden",))
    found = leaks(course.ROOT / "solutions" / assignment, assignment, kinds=("hidden",))
    assert hidden and len(found) > len(hidden) // 2, "the leak check misses most hidden lines"
    assert leaks(course.ROOT / "assignments" / assignment, assignment) == []


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


# --- grading a batch ------------------------------------------------------------------------

# The parts a "partial" submission answers (default: the first and third tested parts).
PARTIAL = {A1: ("conv2d_naive", "max_pool2d", "residual_block")}


def solution_code(cell) -> str:
    """A source cell's code with the solution markers removed: the reference answer."""
    return "\n".join(ln for ln in cell.source.splitlines() if "### BEGIN SOLUTION" not in ln
                     and "### END SOLUTION" not in ln)  # fmt: skip


def _nbg(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def graded_parts(assignment: str) -> list[tuple[str, float, list[str]]]:
    """(test grade id, points, the solution cells it grades) for each autograded test cell: a
    test grades the code solution cells between the previous test and itself."""
    found, pending = [], []
    for cell in source_nb(assignment).cells:
        meta = _nbg(cell)
        if meta.get("solution") and cell.cell_type == "code":
            pending.append(meta["grade_id"])
        elif meta.get("grade") and not meta.get("solution"):
            found.append((meta["grade_id"], float(meta["points"]), pending))
            pending = []
    return found


def autograded_points(assignment: str) -> float:
    return sum(points for _, points, _ in graded_parts(assignment))


def partial_parts(assignment: str) -> tuple[list[str], float]:
    """The solution cells a partial submission answers, and the points that earns."""
    tests = graded_parts(assignment)
    chosen = PARTIAL.get(assignment) or tuple(tests[0][2] + tests[2][2])
    points = sum(p for _, p, parts in tests if parts and set(parts) <= set(chosen))
    return list(chosen), points


def answered(assignment: str, parts=None):
    """The release with the reference answers of ``parts`` (default: every code part)."""
    nb = release_nb(assignment)
    reference = {
        _nbg(c)["grade_id"]: c for c in source_nb(assignment).cells if _nbg(c).get("solution")
    }
    for cell in nb.cells:
        gid = _nbg(cell).get("grade_id")
        if cell.cell_type == "code" and gid in reference and (parts is None or gid in parts):
            cell.source = solution_code(reference[gid])
    return nb


def training_test(assignment: str) -> str:
    """The test of the part that trains a model: the last of every assignment."""
    test, _, parts = graded_parts(assignment)[-1]
    assert parts[0].startswith("train"), f"{assignment}: the last part no longer trains"
    return test


UNTRAINED = 70.0
"""The marks of an :func:`untrained` notebook: every autograded part but the training's 20."""


def untrained(assignment: str = A1):
    """The release with every code part answered but the last, the training: an honest student's
    marks for the grading tests that need no training run (70 of the 90 autograded points)."""
    return answered(assignment, [p for _, _, ps in graded_parts(assignment)[:-1] for p in ps])


def cell_of(nb, grade_id):
    return next(c for c in nb.cells if _nbg(c).get("grade_id") == grade_id)


def _add_warnings(assignment, nb):
    """An honest answer that writes warnings and to stderr while being defined and run."""
    cell = cell_of(nb, graded_parts(assignment)[0][2][0])
    cell.source = cell.source.replace(
        '    """', '    import sys, warnings\n    warnings.warn("slow")\n'
        '    print("debug", file=sys.stderr)\n    """', 1,
    )  # fmt: skip
    cell.source = "import warnings\nwarnings.warn('defining my answer')\n" + cell.source
    return nb


def _copy_first_answer(assignment, nb):
    """The first answer cell copied; the untouched stub copy comes first."""
    first_part = graded_parts(assignment)[0][2][0]
    original = cell_of(nb, first_part)
    stub = copy.deepcopy(original)
    stub.source = cell_of(release_nb(assignment), first_part).source
    stub.id = "copied-cell"
    nb.cells.insert(nb.cells.index(original), stub)
    return nb


def _delete_second_test(assignment, nb):
    nb.cells.remove(cell_of(nb, graded_parts(assignment)[1][0]))
    return nb


def _lose_last_metadata(assignment, nb):
    """An editor re-created the last answer cell without its metadata."""
    lost = cell_of(nb, graded_parts(assignment)[-1][2][-1])
    lost.metadata = {}
    lost.id = "recreated-cell"
    return nb


# A part that later parts call (by name) in each assignment whose tests substitute correct versions.
BASE = {
    "a2_rnn": "batchify",
    "a3_transformer": "multi_head_attention",
    "a4_generative": "gaussian_kl",
}
CALLERS = {
    "a2_rnn": {"batchify": ("test_train_char_model",)},
    "a3_transformer": {
        "scaled_dot_product_attention": ("test_multi_head_attention", "test_transformer_block",
                                         "test_train_transformer"),
        "multi_head_attention": ("test_transformer_block", "test_train_transformer"),
    },
    "a4_generative": {"gaussian_kl": ("test_negative_elbo", "test_train_vae")},
}  # fmt: skip
"""The parts that call an earlier part in the student's kernel, where only the student's own
version of it exists: the hidden tests never send a correct one there (it would be a reference
the notebook could read). A part whose check accepts the result of the student's own earlier
part stays on its own when that part is wrong; when it raises (left as released), every part
that calls it raises too."""


def submissions(assignment: str) -> dict[str, object]:
    """Student name -> notebook (or raw bytes) of the batch; A1's batch adds hostile ones."""
    tests = graded_parts(assignment)
    first_part, first_test = tests[0][2][0], tests[0][0]
    subs: dict[str, object] = {"reference": source_nb(assignment), "blank": release_nb(assignment)}
    subs["partial"] = answered(assignment, partial_parts(assignment)[0])

    nb = untrained(assignment)  # a wrong first part, and its test edited to pass
    cell_of(nb, first_part).source = cell_of(release_nb(assignment), first_part).source
    cell_of(nb, first_test).source = 'print("all tests passed")'
    subs["edited_test"] = nb

    # Honest but damaged, all in one submission without a training run: warnings, a copied cell,
    # a deleted test cell, lost metadata (of the training's answer cell, left as released).
    nb = untrained(assignment)
    for damage in (_add_warnings, _copy_first_answer, _delete_second_test, _lose_last_metadata):
        nb = damage(assignment, nb)
    subs["damaged"] = nb

    if assignment in BASE:  # a part that later parts build on left undone
        nb = answered(assignment)
        cell_of(nb, BASE[assignment]).source = cell_of(
            release_nb(assignment), BASE[assignment]
        ).source
        subs["wrong_base"] = nb

    if assignment != A1:
        return subs
    subs["broken_file"] = b'{"cells": [ this is not json'

    nb = answered(A1)
    cell_of(nb, "max_pool2d").source = "import os\nos._exit(1)\n" + cell_of(nb, "max_pool2d").source
    subs["hostile_exit"] = nb

    nb = untrained(A1)  # the attacks need no training run: 70 points at most
    cell_of(nb, "max_pool2d").source = "while True:\n    pass\n" + cell_of(nb, "max_pool2d").source
    subs["hostile_loop"] = nb

    nb = untrained(A1)
    cell_of(nb, "conv2d_naive").source = (
        "def conv2d_naive(x, w, b=None, stride=1, padding=0):\n"
        "    return torch.zeros(1)\n\n"
        "F.conv2d = lambda x, w, b=None, stride=1, padding=0: conv2d_naive(x, w, b)\n"
        "torch.allclose = lambda *args, **kwargs: True"
    )
    subs["hostile_patch"] = nb
    return subs


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def batch(sandboxed, request, tmp_path_factory):
    """Grade an assignment's batch once in a scratch copy of the course; return the CSV rows."""
    assignment = request.param
    root = tmp_path_factory.mktemp(f"course-{assignment}")
    for name in ("grading", "solutions", "assignments"):
        shutil.copytree(
            course.ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(course.ROOT / "nbgrader_config.py", root)
    set_deadlines(root / "nbgrader_config.py", {})  # taken in today: no deadline makes it late
    inbox = root / "inbox"
    inbox.mkdir()
    for student, nb in submissions(assignment).items():
        path = inbox / f"{student}.ipynb"
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        else:
            nbformat.write(nb, path)
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-m", "grading", "grade", assignment, "--submissions", str(inbox),
         "--cell-timeout", str(CELL_TIMEOUT_S.get(assignment, 90)), "--timeout", "600"],
        cwd=root, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with (root / "grades" / f"{assignment}.csv").open() as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    print(result.stdout)
    return assignment, root, rows


def score(rows, student) -> float:
    return float(rows[student]["score"])


def test_every_submission_gets_a_row(batch):
    assignment, _, rows = batch
    assert set(rows) == set(submissions(assignment))


def test_reference_gets_full_autograded_marks_and_awaits_manual_grading(batch):
    assignment, _, rows = batch
    assert autograded_points(assignment) == 90.0
    assert score(rows, "reference") == 90.0
    assert rows["reference"]["needs_manual_grade"] == "True"
    assert rows["reference"]["written_answer"] == "awaiting grading"
    print(f"{assignment}: reference autograded in {rows['reference']['seconds']} s")
    assert float(rows["reference"]["seconds"]) < 120


def test_blank_release_scores_zero(batch):
    _, _, rows = batch
    assert score(rows, "blank") == 0.0
    assert rows["blank"]["written_answer"] == "0.0"  # an untouched answer is zero, not pending


def test_partial_submission_gets_exactly_the_points_of_its_right_parts(batch):
    assignment, _, rows = batch
    parts, points = partial_parts(assignment)
    assert 0 < points < 90
    assert score(rows, "partial") == points
    for test, value, graded in graded_parts(assignment):
        expected = value if set(graded) <= set(parts) else 0.0
        assert float(rows["partial"][test]) == expected, f"{test}: expected {expected}"


def lost_parts(assignment: str, row: dict, blank: str) -> tuple[dict[str, float], set[str]]:
    """The parts ``row`` lost against full marks, and what the answer ``blank`` left as released
    should cost: its own part, the parts that call it (:data:`CALLERS`), and the training (left
    unanswered in an :func:`untrained` notebook, a caller of ``blank`` in the others)."""
    lost = {t: p for t, p, _ in graded_parts(assignment) if float(row[t]) < p}
    own = next(t for t, _, parts in graded_parts(assignment) if blank in parts)
    return lost, {own, *CALLERS.get(assignment, {}).get(blank, ()), training_test(assignment)}


def test_a_blank_part_costs_its_own_points_and_those_of_the_parts_that_call_it(batch):
    assignment, _, rows = batch
    if assignment not in BASE:
        pytest.skip("no part of this assignment calls another part")
    lost, expected = lost_parts(assignment, rows["wrong_base"], BASE[assignment])
    assert set(lost) == expected


def test_warnings_of_an_honest_solution_cost_nothing(batch):
    _, _, rows = batch
    assert float(rows["damaged"]["score"]) == UNTRAINED


def test_edited_test_cell_is_restored_and_reported(batch):
    assignment, _, rows = batch
    first_test, _, parts = graded_parts(assignment)[0]
    lost, expected = lost_parts(assignment, rows["edited_test"], parts[0])
    assert set(lost) == expected  # the restored test catches the stub
    assert f"'{first_test}' was edited" in rows["edited_test"]["notes"]


def test_deleted_test_cell_is_restored_graded_and_reported(batch):
    assignment, _, rows = batch
    deleted, points, _ = graded_parts(assignment)[1]
    graded = rows["damaged"]
    assert float(graded["score"]) == UNTRAINED
    assert float(graded[deleted]) == points
    assert f"'{deleted}' was deleted" in graded["notes"]


def test_copied_cell_is_graded_on_the_students_work_and_reported(batch):
    assignment, _, rows = batch
    graded = rows["damaged"]
    assert float(graded["score"]) == UNTRAINED
    first_part = graded_parts(assignment)[0][2][0]
    assert f"'{first_part}' appears 2 times" in graded["notes"]


def test_lost_metadata_is_restored_and_reported(batch):
    assignment, _, rows = batch
    graded = rows["damaged"]
    assert float(graded["score"]) == UNTRAINED
    last_part = graded_parts(assignment)[-1][2][-1]
    assert f"'{last_part}' had lost its grading metadata" in graded["notes"]


def test_unreadable_file_is_reported_not_fatal(batch):
    assignment, _, rows = batch
    if assignment != A1:
        pytest.skip("the hostile and broken submissions are graded once, with assignment 1")
    assert score(rows, "broken_file") == 0.0
    assert "not a readable notebook" in rows["broken_file"]["notes"]


def test_hostile_submissions_score_no_more_than_an_honest_wrong_answer(batch):
    assignment, _, rows = batch
    if assignment != A1:
        pytest.skip("the hostile and broken submissions are graded once, with assignment 1")
    assert score(rows, "hostile_exit") <= 30.0  # nothing after the kernel died
    assert "stopped the Python kernel" in rows["hostile_exit"]["notes"]
    assert score(rows, "hostile_loop") == 60.0  # only the looping part is lost (70 - 10)
    assert "time limit" in rows["hostile_loop"]["notes"]
    assert float(rows["hostile_patch"]["test_conv2d_naive"]) == 0
    assert score(rows, "hostile_patch") <= 55.0  # at most the 70 of its other parts, less 15


def test_feedback_exists_and_hides_the_hidden_tests(batch):
    assignment, root, rows = batch
    for student in ("reference", "blank", "partial", "edited_test"):
        page = root / "feedback" / student / assignment / f"{assignment}.html"
        assert page.exists(), f"no feedback for {student}"
    # the students' own code is theirs to see; the hidden tests are not
    assert leaks(root / "feedback", assignment, kinds=("hidden",)) == []
    blank = (root / "feedback" / "blank" / assignment / f"{assignment}.html").read_text()
    assert "NotImplementedError" in blank  # the student sees why each test failed


def test_original_submission_is_kept_beside_a_repaired_one(batch):
    assignment, root, _ = batch
    kept = root / "submitted" / "damaged" / f"{assignment}.original.ipynb"
    assert kept.exists()
    assert not list((root / "feedback").rglob("*.original*")), "originals belong to no feedback"
    deleted = graded_parts(assignment)[1][0]
    original = nbformat.read(kept, as_version=4)
    assert not any(_nbg(c).get("grade_id") == deleted for c in original.cells)


# --- intake, without running nbgrader ---------------------------------------------------------


@pytest.fixture
def scratch_course(tmp_path, monkeypatch):
    """grading.course pointed at an empty scratch folder."""
    monkeypatch.setattr(course, "ROOT", tmp_path)
    return tmp_path


def test_intake_takes_flat_and_nbgrader_layouts_and_safe_student_ids(scratch_course):
    from grading.intake import collect as intake
    from grading.intake import identity

    inbox = scratch_course / "inbox"
    (inbox / "kim" / A1).mkdir(parents=True)
    nbformat.write(release_nb(), inbox / "kim" / A1 / f"{A1}.ipynb")
    nbformat.write(release_nb(), inbox / "Lee Seul-Bi (2).ipynb")
    students, problems = intake.collect(A1, inbox)
    assert students == ["Lee_Seul-Bi_2", "kim"] and problems == []
    with pytest.raises(SystemExit, match="no submissions in"):
        intake.collect(A1, scratch_course)
    with pytest.raises(ValueError, match="cannot make a student id"):
        identity.student_id("...")


def test_repair_restores_what_is_unambiguous_and_leaves_a_clean_notebook_alone(tmp_path):
    from grading.intake import repair as intake

    path = tmp_path / "s" / A1 / f"{A1}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(answered(A1), path)
    before = path.read_bytes()
    assert intake.repair(path, release_nb()).notes == []
    assert path.read_bytes() == before and not course.original_of(path).exists()

    nb = answered(A1)
    nb.cells.remove(cell_of(nb, "grader"))  # a read-only cell the tests need
    cell_of(nb, "max_pool2d").metadata = {}
    nbformat.write(nb, path)
    notes = intake.repair(path, release_nb()).notes
    assert "read-only cell 'grader' was deleted; restored from the release" in notes
    assert "cell 'max_pool2d' had lost its grading metadata; restored" in notes
    repaired = nbformat.read(path, as_version=4)
    ids = [_nbg(c).get("grade_id") for c in repaired.cells]
    assert ids.index("grader") == ids.index("setup") + 1, "put back where it was"
    assert "max_pool2d" in ids and course.original_of(path).exists()


def test_ambiguous_copies_are_reported_as_such(tmp_path):
    from grading.intake import repair as intake

    nb = answered(A1)
    first = cell_of(nb, "conv2d_naive")
    second = copy.deepcopy(first)
    second.id = "second-copy"
    second.source = first.source + "\n# a second, different attempt"
    nb.cells.insert(nb.cells.index(first) + 1, second)
    path = tmp_path / "s" / A1 / f"{A1}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)
    (note,) = intake.repair(path, release_nb()).notes
    assert "appears 2 times" in note and "ambiguous" in note
    repaired = nbformat.read(path, as_version=4)
    graded = [c for c in repaired.cells if _nbg(c).get("grade_id") == "conv2d_naive"]
    assert len(graded) == 1 and graded[0].source.endswith("a second, different attempt")

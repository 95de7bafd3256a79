"""One inbox with every kind of malformed submission that used to stop a whole class, and honest
students beside them: every student gets a row, the honest ones keep their marks, the batch ends
with success, and a second run does not die on them either."""

from __future__ import annotations

import copy
import json

import nbformat
import pytest

from tests.instructor.sandboxing import grade_cli, read_csv, scratch_course, write_inbox
from tests.instructor.test_nbgrader_pipeline import (
    A1,
    UNTRAINED,
    _nbg,
    answered,
    cell_of,
    release_nb,
    untrained,
)


def _bytes(nb, version: int = 4) -> bytes:
    """The notebook as a file, written as JSON with every non-ASCII character escaped (so that a
    lone surrogate can be written at all)."""
    data = nbformat.convert(copy.deepcopy(nb), version) if version != 4 else nb
    return json.dumps(data, ensure_ascii=True, indent=1).encode("ascii")


def no_grade_id():
    """An added cell with grading metadata but no grade id (nbgrader raised KeyError)."""
    nb = untrained()
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False}
    nb.cells.append(cell)
    return nb


def points_not_a_number():
    """A test cell whose points are text (nbgrader raised ValueError)."""
    nb = untrained()
    cell_of(nb, "test_max_pool2d").metadata["nbgrader"]["points"] = "ten"
    return nb


def partial_grade_above_points():
    """An answer that displays a number above the test's points from inside the test cell
    (nbgrader reads a test cell's first ``execute_result`` as its grade, and raised on one above
    the points; a display from the answer is a ``display_data``, which it does not read)."""
    nb = release_nb()
    cell = cell_of(nb, "conv2d_naive")
    cell.source = cell.source.replace(
        "raise NotImplementedError()", "display(1000.0)\n    raise NotImplementedError()"
    )
    assert "display(1000.0)" in cell.source
    return nb


def lone_surrogate():
    """A markdown cell with a lone surrogate (writing the notebook raised UnicodeEncodeError)."""
    nb = untrained()
    nb.cells.append(nbformat.v4.new_markdown_cell("notes \ud800 to self"))
    return _bytes(nb)


def nbformat_3():
    """The answered release saved as nbformat 3, nbgrader metadata kept (AttributeError)."""
    return _bytes(untrained(), version=3)


def metadata_stripped():
    """An honest student's answers whose editor dropped every cell's grading metadata."""
    nb = untrained()
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    return nb


@pytest.fixture(scope="module")
def batch(sandboxed, tmp_path_factory):
    root = scratch_course(tmp_path_factory.mktemp("malformed-course"))
    subs = {
        "bad_no_grade_id": no_grade_id(),
        "bad_points": points_not_a_number(),
        "bad_partial_grade": partial_grade_above_points(),
        "bad_surrogate": lone_surrogate(),
        "bad_nbformat3": nbformat_3(),
        "honest_stripped": metadata_stripped(),
        "honest_reference": answered(A1),
        "honest_blank": release_nb(),
    }
    inbox = write_inbox(root, subs)
    first = grade_cli(root, A1, "--submissions", str(inbox), "--jobs", "2", "--cell-timeout", "90")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    again = grade_cli(root, A1, "--jobs", "2", "--cell-timeout", "90")  # nothing new: no rerun
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    return read_csv(root / "grades" / f"{A1}.csv")


def test_every_student_has_a_row_and_honest_students_keep_their_marks(batch):
    assert set(batch) == {
        "bad_no_grade_id", "bad_points", "bad_partial_grade", "bad_surrogate", "bad_nbformat3",
        "honest_stripped", "honest_reference", "honest_blank",
    }  # fmt: skip
    assert float(batch["honest_reference"]["score"]) == 90.0
    assert float(batch["honest_blank"]["score"]) == 0.0


def test_answers_that_lost_their_metadata_keep_their_marks(batch):
    row = batch["honest_stripped"]
    assert float(row["score"]) == UNTRAINED, row["notes"]
    assert "tampering" not in row["notes"] and "lost its grading metadata" in row["notes"]


@pytest.mark.parametrize(
    "student, note",
    [
        ("bad_no_grade_id", "grading metadata without a grade id ignored"),
        ("bad_points", "other grading metadata than the release's; restored"),
        ("bad_surrogate", "lone surrogate"),
        ("bad_nbformat3", "converted to nbformat 4"),
    ],
)
def test_repairable_damage_is_repaired_and_graded_in_full(batch, student, note):
    row = batch[student]
    assert note in row["notes"]
    assert float(row["score"]) == UNTRAINED, row["notes"]  # every answered part


def test_a_number_displayed_in_a_test_cell_earns_nothing(batch):
    assert float(batch["bad_partial_grade"]["score"]) == 0.0


def test_a_result_that_cannot_be_stored_is_that_students_note(monkeypatch, tmp_path):
    """nbgrader refuses a partial grade above a cell's points (ValueError in the store): the
    student gets a row with the reason, the next student is stored, the batch goes on."""
    import datetime as dt

    from grading import course
    from grading.batch import gradebook, pipeline
    from grading.intake import history, repair
    from grading.run import sandbox, worker

    monkeypatch.setattr(course, "ROOT", tmp_path)
    stored = []

    def store(assignment, student, executed, banner=""):
        if student == "kim":
            raise ValueError("partial credit 1000.0 is greater than the maximum of 15")
        stored.append(student)
        return []

    monkeypatch.setattr(gradebook, "store", store)
    version = history.Version("0" * 64, "v.ipynb", dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc))
    students = ("kim", "lee")
    intakes = {s: repair.Intake(s, tmp_path / f"{s}.ipynb") for s in students}
    job = {s: worker.Job(A1, s, {}, sandbox.Limits(), False) for s in students}
    results = [(job[s], worker.Outcome(s, {}, 1.0, []), None) for s in students]
    pipeline._store_all(A1, results, intakes, dict.fromkeys(students, version), None, "h", 2)
    assert stored == ["lee"]
    assert not intakes["kim"].gradable and intakes["lee"].gradable
    assert "could not be stored (ValueError: partial credit 1000.0" in intakes["kim"].notes[-1]
    assert history.load("kim", A1)["graded"]["gradable"] is False


def test_the_fixtures_are_what_they_claim():
    assert "nbgrader" not in json.dumps([_nbg(c) for c in metadata_stripped().cells if _nbg(c)])
    assert json.loads(nbformat_3())["nbformat"] == 3
    assert "\\ud800" in lone_surrogate().decode("ascii")


def test_a_broken_grading_environment_stops_the_batch_and_records_nothing(sandboxed, tmp_path):
    """The setup cell cannot import what it needs (as when torch or utils is missing in the
    sandbox): no student is given a zero, the run fails with the cause, and nothing is kept."""
    root = scratch_course(tmp_path)
    source = root / "solutions" / A1 / f"{A1}.ipynb"
    nb = nbformat.read(source, as_version=4)
    cell_of(nb, "setup").source += "\nimport itm528_module_that_is_not_installed"
    nbformat.write(nb, source)
    inbox = write_inbox(root, {"kim": answered(A1), "lee": release_nb()})
    result = grade_cli(root, A1, "--submissions", str(inbox), "--jobs", "1")
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "the grading environment failed" in out and "itm528_module_that_is_not_installed" in out
    assert not (root / "grades" / f"{A1}.csv").exists()
    graded = [json.loads(p.read_text())["graded"] for p in root.glob("submitted/*/*/history.json")]
    assert graded and all(g is None for g in graded), "no student is recorded as graded"

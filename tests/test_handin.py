"""The check before submitting (utils.handin) on the released notebooks: each kind of damage is
found where it is and costs what the grader makes it cost; the notebook is found in Colab, in
Jupyter and on the command line. Its agreement with the grader itself is tested by grading
(tests/instructor/test_handin_agreement.py)."""

from __future__ import annotations

import copy
import json
import sys
import types
from pathlib import Path

import nbformat
import pytest

from utils import handin, handin_checks, policy

ROOT = Path(__file__).resolve().parent.parent
A1 = "a1_cnn"
RELEASED = ROOT / "assignments" / A1 / f"{A1}.ipynb"


def release():
    return json.loads(RELEASED.read_text())


def cell(nb, grade_id):
    return next(
        c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id
    )


def answered():
    """The release with every code answer replaced by some code of the student's."""
    nb = release()
    for entry in handin_checks.release(A1):
        if entry["kind"] == "answer" and entry["cell_type"] == "code":
            cell(nb, entry["grade_id"])["source"] = entry["signature"] + "\n    return 0\n"
    return nb


def kinds(report):
    return [item.kind for item in report.items]


def check(nb):
    return handin.check_notebook(nb, A1, "a test", run=False)


def test_the_manifest_holds_every_released_assignment():
    for path in sorted((ROOT / "assignments").glob("*/*.ipynb")):
        assignment = path.stem
        entries = handin_checks.release(assignment)
        nb = json.loads(path.read_text())
        assert [e["grade_id"] for e in entries] == [
            c["metadata"]["nbgrader"]["grade_id"]
            for c in nb["cells"]
            if handin_checks.graded.grade_id(c) is not None
        ], f"utils/releases.json is out of date for {assignment}: run `make assignments`"


def test_a_blank_release_is_reported_empty_and_every_test_scores_0():
    report = check(release())
    assert kinds(report)[0] == "empty"
    assert report.zeroed == [
        e["grade_id"] for e in handin_checks.release(A1) if e["kind"] == "test"
    ]


def test_an_answered_notebook_has_nothing_to_report():
    report = check(answered())
    assert [i for i in report.items if i.kind != "unanswered"] == []
    assert report.zeroed == []


def test_a_forbidden_construct_costs_every_test_after_it():
    nb = answered()
    cell(nb, "max_pool2d")["source"] = "import subprocess\n" + cell(nb, "max_pool2d")["source"]
    report = check(nb)
    (item,) = [i for i in report.items if i.kind == "policy"]
    assert item.where.endswith("line 1") and "imports subprocess" in item.what
    assert report.zeroed == ["test_max_pool2d", "test_conv2d_backward", "test_residual_block",
                             "test_train_cnn"]  # fmt: skip


def test_damaged_cells_are_named_with_what_the_grader_does():
    nb = answered()
    nb["cells"].remove(cell(nb, "conv2d_backward"))
    nb["cells"].remove(cell(nb, "test_max_pool2d"))
    cell(nb, "test_conv2d_naive")["source"] = ["# mine\n", *cell(nb, "test_conv2d_naive")["source"]]
    twin = copy.deepcopy(cell(nb, "conv2d_naive"))
    nb["cells"].insert(nb["cells"].index(cell(nb, "conv2d_naive")), twin)
    cell(nb, "residual_block")["cell_type"] = "markdown"
    cell(nb, "train_cnn")["metadata"].pop("nbgrader")
    stray = nbformat.v4.new_code_cell("x = 1")
    stray.metadata["nbgrader"] = {"grade_id": "from_another_notebook", "solution": True}
    nb["cells"].append(stray)
    report = check(nb)
    found = {(i.kind, i.what.split("'")[1]) for i in report.items}
    assert found >= {("deleted", "conv2d_backward"), ("deleted", "test_max_pool2d"),
                     ("edited", "test_conv2d_naive"), ("duplicated", "conv2d_naive"),
                     ("retyped", "residual_block"), ("lost", "train_cnn"),
                     ("unknown", "from_another_notebook")}  # fmt: skip
    assert report.zeroed == ["test_conv2d_backward"]  # only the deleted answer costs points


def test_cells_never_run_or_run_out_of_order_are_reported():
    nb = answered()
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for n, c in enumerate(code, 1):
        c["execution_count"] = n
    code[3]["execution_count"], code[2]["execution_count"] = 1, None
    assert {"order", "not-run"} <= set(kinds(check(nb)))


def test_a_file_that_is_not_a_notebook_scores_0(tmp_path, capsys):
    bad = tmp_path / f"{A1}.ipynb"
    bad.write_text("{not json")
    assert handin.main([str(bad), "--no-run"]) == 1
    assert "not a notebook the grader can read" in capsys.readouterr().out


def test_the_command_names_its_errors(tmp_path, capsys):
    with pytest.raises(SystemExit):
        handin.main([str(tmp_path / "missing.ipynb")])
    assert "no such file" in capsys.readouterr().err
    other = tmp_path / "homework.ipynb"
    other.write_text(json.dumps(answered()))
    with pytest.raises(SystemExit):
        handin.main([str(other), "--no-run"])
    assert "unknown assignment 'homework'" in capsys.readouterr().err
    copy_of = tmp_path / f"Copy of {A1}.ipynb"  # as Colab names a copy in Drive
    copy_of.write_text(json.dumps(answered()))
    assert handin.main([str(copy_of), "--no-run"]) == 0


def test_in_colab_the_open_notebook_is_read(monkeypatch, capsys):
    message = types.ModuleType("google.colab._message")
    message.blocking_request = lambda kind, timeout_sec: {"ipynb": answered()}
    colab = types.ModuleType("google.colab")
    colab._message = message
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    report = handin.check(A1, run=False)
    assert report.source == "the notebook open in Colab" and report.zeroed == []


def test_in_jupyter_the_saved_file_is_read_and_unsaved_work_is_named(tmp_path, monkeypatch):
    path = tmp_path / f"{A1}.ipynb"
    path.write_text(json.dumps(answered()))
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    shell = types.SimpleNamespace(user_ns={"In": ["", "x = 1  # not saved yet", "check()"]})
    monkeypatch.setattr(handin, "_shell", lambda: shell)
    report = handin.check(A1, run=False)
    assert report.source == str(path) and kinds(report)[0] == "unsaved"
    monkeypatch.delenv("JPY_SESSION_NAME")
    monkeypatch.setattr(handin, "_shell", lambda: None)
    assert handin.check(A1, run=False) is None  # says how to run it on the file instead


def test_the_fresh_run_reports_the_visible_tests_that_fail(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("assert x == 2, 'x'")]
    nb.cells.append(nbformat.v4.new_code_cell("assert x == 1"))
    for k, c in enumerate(nb.cells[1:]):
        c.metadata["nbgrader"] = {"grade": True, "grade_id": f"t{k}", "points": 1, "locked": True}
    items, results, seconds = handin_checks.run_fresh(json.loads(nbformat.writes(nb)), tmp_path)
    assert results == {"t0": False, "t1": True} and seconds > 0
    assert [i.costs for i in items] == [["t0"]] and "AssertionError: x" in items[0].what


def test_a_cell_indented_as_a_whole_is_read_as_ipython_runs_it():
    """Python cannot parse a cell whose every line is indented, but IPython dedents and runs it:
    the policy reads it as IPython does."""
    nb = answered()
    indented = "    import subprocess\n    subprocess.run(['true'])\n"
    cell(nb, "max_pool2d")["source"] = indented
    (item,) = [i for i in check(nb).items if i.kind == "policy"]
    assert "imports subprocess" in item.what
    assert policy.scan(indented) == [(1, "imports subprocess")]


def test_a_notebook_over_the_graders_time_stops_there(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in ("x = 1", "import time; time.sleep(1.5)")]
    nb.cells += [nbformat.v4.new_code_cell("assert x == 1"), nbformat.v4.new_code_cell("x")]
    nb.cells[2].metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "locked": True}
    notebook = json.loads(nbformat.writes(nb))
    items, results, _ = handin_checks.run_fresh(notebook, tmp_path, notebook_seconds=1.0)
    assert results == {"t": True} and [(i.kind, i.costs) for i in items] == [("slow", ["t"])]

"""A term of grading for a class of nine: deadlines, resubmissions, a roster, manual grades, two
runs at once, and runs that grade only what changed."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import unicodedata

import nbformat
import pytest

from grading.intake import deadlines, identity
from tests.instructor.sandboxing import (
    grade_cli,
    read_csv,
    scratch_course,
    set_deadlines,
)
from tests.instructor.test_nbgrader_pipeline import (
    A1,
    answered,
    cell_of,
    release_nb,
    solution_code,
    source_nb,
    untrained,
)

DUE = "2026-10-09T23:59:00+09:00"
ON_TIME = "2026-10-09 10:00:00.000000 UTC"
LATE_A_DAY = "2026-10-10 14:00:00 UTC"  # 23 hours late: one started day
LATE_A_WEEK = "2026-10-16 12:00:00 UTC"  # past the cut-off of 3 days
ROSTER = (
    "\ufeffstudent_id,name,email,lms_id\n"
    "2026001,김민준,minjun.kim@univ.ac.kr,501\n2026002,Lee Seo-yeon,seoyeon.lee@univ.ac.kr,502\n"
    "2026003,박지호,jiho.park@univ.ac.kr,503\n2026004,choi,choi@univ.ac.kr,504\n"
    "2026005,jung,jung@univ.ac.kr,505\n2026006,kang,kang@univ.ac.kr,506\n"
    "2026007,yoon,yoon@univ.ac.kr,507\n2026008,Han Ji-woo,jiwoo.han@univ.ac.kr,508\n"
    "2026009,Absent Student,absent@univ.ac.kr,509\n"
)


def honest():
    """Every part answered but the training (70 points without a training run), and the written
    answer, which awaits a TA's grade."""
    nb = untrained()
    cell_of(nb, "written_answer").source = solution_code(cell_of(source_nb(), "written_answer"))
    return nb


def partial():
    return answered(A1, ["conv2d_naive", "max_pool2d"])  # 25 points


def with_answer_elsewhere():
    nb = partial()
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "My answer: the residual shortcut lets gradients flow past the two convolutions, so the "
        "deeper network trains as fast as the shallow one did."))  # fmt: skip
    return nb


def nested(root, student: str, nb, stamp: str) -> None:
    """``inbox/<student>/a1_cnn/a1_cnn.ipynb`` with nbgrader's ``timestamp.txt``."""
    folder = root / "inbox" / student / A1
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, bytes):
        (folder / f"{A1}.ipynb").write_bytes(nb)
    else:
        nbformat.write(nb, folder / f"{A1}.ipynb")
    (folder / "timestamp.txt").write_text(stamp)


@pytest.fixture(scope="module")
def term(sandboxed, tmp_path_factory):
    root = scratch_course(tmp_path_factory.mktemp("term"))
    rule = {A1: {"due": DUE, "penalty_per_day": 10, "cutoff_days": 3}}
    set_deadlines(root / "nbgrader_config.py", rule)  # the whole assignment, however it is laid out
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    for student, nb, stamp in [
        ("김민준", honest(), ON_TIME), ("Lee Seo-yeon", partial(), ON_TIME),
        ("박지호", release_nb(), ON_TIME), ("choi", partial(), LATE_A_DAY),
        ("jung", honest(), LATE_A_WEEK), ("kang", with_answer_elsewhere(), ON_TIME),
        ("yoon", b'{"cells": [ not json', ON_TIME), ("Han Ji-woo", partial(), ON_TIME),
    ]:  # fmt: skip
        nested(root, student, nb, stamp)
    (root / "inbox" / "readme.txt").write_text("not a notebook")
    args = ("--submissions", str(root / "inbox"), "--roster", str(root / "roster.csv"),
            "--trust-timestamps")  # the inbox is nbgrader's exchange: its times count  # fmt: skip
    runs = [grade_cli(root, A1, *args, "--jobs", "2")]
    runs.append(grade_cli(root, A1, *args))  # nothing new
    for run in runs:
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return root, args, runs


def rows_of(root):
    return read_csv(root / "grades" / f"{A1}.csv")


def test_every_student_of_the_roster_has_a_row_with_name_and_lms_id(term):
    root, _, runs = term
    rows = rows_of(root)
    assert "김민준" in rows and "Lee_Seo-yeon" in rows and "Han_Ji-woo" in rows
    assert rows["김민준"]["lms_id"] == "501" and rows["Lee_Seo-yeon"]["email"].startswith("seoyeon")
    assert rows["2026009"]["notes"] == "did not submit" and rows["2026009"]["final_score"] == "0.0"
    assert "readme.txt: ignored (not a notebook)" in runs[0].stdout
    report = (root / "grades" / f"{A1}.html").read_text(encoding="utf-8")  # written by each run
    assert "김민준" in report and "Han_Ji-woo" in report


def test_deadline_and_late_penalties(term):
    rows = rows_of(term[0])
    assert rows["김민준"]["late"] == "on time" and rows["김민준"]["penalty"] == "0.0"
    assert rows["choi"]["late"].startswith("late by 0 d 23 h")  # one started day: 10 %
    assert float(rows["choi"]["penalty"]) == 2.5 and float(rows["choi"]["final_score"]) == 22.5
    assert "after the cut-off" in rows["jung"]["late"] and float(rows["jung"]["final_score"]) == 0
    assert float(rows["jung"]["score"]) == 70.0  # graded all the same, for the record


def test_a_broken_file_and_a_written_answer_elsewhere_are_reported(term):
    rows = rows_of(term[0])
    assert "not a readable notebook" in rows["yoon"]["notes"]
    assert "written answer 'written_answer' is empty" in rows["kang"]["notes"]


def test_a_second_run_grades_nothing_and_reports_a_broken_file_once(term):
    _, _, runs = term
    assert "0 to grade, 8 unchanged" in runs[1].stdout
    assert "yoon: not graded" in runs[0].stdout and "yoon" not in runs[1].stdout


def test_lms_exports_hold_everyone_on_the_roster(term):
    root = term[0]
    with (root / "grades" / f"{A1}.canvas.csv").open(encoding="utf-8") as f:
        canvas = list(csv.reader(f))
    assert canvas[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas[1][0].strip() == "Points Possible"
    by_id = {r[2]: r for r in canvas[2:]}
    assert by_id["2026009"][-1] == "0" and by_id["2026004"][-1] == "22.5"
    moodle = (root / "grades" / f"{A1}.moodle.csv").read_text(encoding="utf-8")
    assert "2026001,minjun.kim@univ.ac.kr,김민준,70" in moodle


def test_resubmissions_after_and_before_the_deadline(term):
    root, args, _ = term
    nested(root, "박지호", honest(), LATE_A_WEEK)  # late: the on-time version stays graded
    nested(root, "Lee Seo-yeon", honest(), "2026-10-09 12:00:00 UTC")  # on time, newer
    run = grade_cli(root, A1, *args)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "1 to grade" in run.stdout
    rows = rows_of(root)
    assert rows["박지호"]["versions"] == "2" and float(rows["박지호"]["score"]) == 0.0
    assert float(rows["Lee_Seo-yeon"]["score"]) == 70.0
    assert len(list((root / "submitted" / "Lee_Seo-yeon" / f"{A1}.history").glob("*.ipynb"))) == 2


def test_a_manual_grade_flows_into_the_csv_and_the_feedback(term):
    root, args, _ = term
    code = (
        "from nbgrader.api import Gradebook\n"
        f"with Gradebook('sqlite:///{root}/gradebook.db') as gb:\n"
        f"    g = gb.find_grade('written_answer', '{A1}', '{A1}', '김민준')\n"
        "    g.manual_score = 8.0\n    g.needs_manual_grade = False\n    gb.db.commit()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    run = grade_cli(root, A1, *args)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    rows = rows_of(root)
    assert (
        rows["김민준"]["written_answer"] == "8.0"
        and rows["김민준"]["needs_manual_grade"] == "False"
    )
    assert float(rows["김민준"]["score"]) == 78.0
    assert rows["Lee_Seo-yeon"]["written_answer"] == "awaiting grading"
    graded = (root / "feedback" / "김민준" / A1 / f"{A1}.html").read_text()
    waiting = (root / "feedback" / "Lee_Seo-yeon" / A1 / f"{A1}.html").read_text()
    assert "Score: 8.0 / 10.0" in graded and "awaiting grading" not in graded
    assert "Score: awaiting grading (of 10.0)" in waiting and "Score: 0.0 / 10.0" not in waiting


def test_two_runs_at_once_wait_for_each_other_and_grade_once(term):
    root, args, _ = term
    nested(root, "Han Ji-woo", honest(), ON_TIME.replace("10:00", "11:00"))
    first, second = (
        subprocess.Popen([sys.executable, "-m", "grading", "grade", A1, *args], cwd=root,
                         env={**os.environ, "PYTHONPATH": str(root)},
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    )  # fmt: skip
    outs = [p.communicate(timeout=600)[0] for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, outs
    assert sum("waiting for it to finish" in o for o in outs) == 1
    assert sum(o.count("] Han_Ji-woo: graded") for o in outs) == 1
    assert float(rows_of(root)["Han_Ji-woo"]["score"]) == 70.0


def test_ids_from_any_unicode_name_and_collisions_reported(tmp_path):
    nfd = unicodedata.normalize("NFD", "김민준")
    assert identity.student_id(nfd) == "김민준" == identity.student_id("김민준")
    names = [nfd, "김민준", "Kim Min", "kim_min", "...", "박 지호"]
    found = identity.identify([(n, tmp_path / f"{i}.ipynb") for i, n in enumerate(names)])
    assert list(found.by_student) == ["박_지호"]
    assert len(found.problems) == 3 and any("same student id '김민준'" in p for p in found.problems)


def test_penalty_rules():
    rule = deadlines.Deadline(deadlines.parse_time(DUE), 10, 3)
    due = rule.due
    hour = deadlines.dt.timedelta(hours=1)
    assert deadlines.penalty(rule, due, 80) == 0
    assert deadlines.penalty(rule, due + hour, 80) == 8
    assert deadlines.penalty(rule, due + 25 * hour, 80) == 16
    assert deadlines.penalty(rule, due + 73 * hour, 80) == 80  # past the cut-off
    assert deadlines.describe(rule, due + 25 * hour) == "late by 1 d 01 h 00 min"
    assert deadlines.penalty(None, due + 100 * hour, 80) == 0


def test_unknown_deadline_policy_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(deadlines.course, "config_constant",
                        lambda name: {A1: {"due": DUE, "graded": "best"}})  # fmt: skip
    with pytest.raises(SystemExit, match="must be 'last_on_time' or 'last'"):
        deadlines.deadline(A1)

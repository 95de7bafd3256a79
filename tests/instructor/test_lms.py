"""LMS exports: Canvas's gradebook import and Moodle's grade import, byte for byte."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from grading import course
from grading.intake import roster
from grading.outputs import lms

ROSTER = """student_id,name,email,lms_id
2024001,김민준,minjun.kim@univ.ac.kr,48213
2024002,"Lee, Seo-yeon",seoyeon.lee@univ.ac.kr,48214
2024003,박 지호,jiho.park@univ.ac.kr,48215
2024004,Kim Minjun,mjkim@univ.ac.kr,48216
"""

# Final scores per submission (the intake's ids); 박 지호 did not submit, 홍길동 is not enrolled.
SCORES = {"김민준": 85.0, "2024002": 72.5, "kim_minjun": 90.25, "홍길동": 50.0}


@pytest.fixture
def rows(tmp_path) -> list[lms.FinalGrade]:
    path = tmp_path / "roster.csv"
    path.write_bytes(b"\xef\xbb\xbf" + ROSTER.replace("\n", "\r\n").encode())
    return lms.final_grades(SCORES, 100.0, roster.load(path))


def test_final_grades_follow_the_roster_and_leave_out_who_is_not_on_it(rows):
    assert rows == [
        lms.FinalGrade("2024001", "김민준", "minjun.kim@univ.ac.kr", "48213", 85.0, 100.0),
        lms.FinalGrade("2024002", "Lee, Seo-yeon", "seoyeon.lee@univ.ac.kr", "48214", 72.5, 100.0),
        lms.FinalGrade("2024003", "박 지호", "jiho.park@univ.ac.kr", "48215", None, 100.0),
        lms.FinalGrade("2024004", "Kim Minjun", "mjkim@univ.ac.kr", "48216", 90.25, 100.0),
    ]


def test_canvas_export_has_the_gradebook_layout(rows, tmp_path):
    path = lms.write_canvas("a1_cnn", rows, tmp_path, canvas_id=12345)
    assert path == tmp_path / "a1_cnn.canvas.csv"
    assert path.read_bytes().decode("utf-8") == (
        "Student,ID,SIS User ID,SIS Login ID,Section,A1 CNN (12345)\r\n"
        "    Points Possible,,,,,100\r\n"
        "김민준,48213,2024001,minjun.kim@univ.ac.kr,,85\r\n"
        '"Lee, Seo-yeon",48214,2024002,seoyeon.lee@univ.ac.kr,,72.5\r\n'
        "박 지호,48215,2024003,jiho.park@univ.ac.kr,,0\r\n"
        "Kim Minjun,48216,2024004,mjkim@univ.ac.kr,,90.25\r\n"
    )
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_moodle_export_identifies_by_id_number_or_email_and_gives_0_to_who_did_not_submit(
    rows, tmp_path
):
    path = lms.write_moodle("a1_cnn", rows, tmp_path)
    assert path == tmp_path / "a1_cnn.moodle.csv"
    assert path.read_bytes().decode("utf-8") == (
        "ID number,Email address,Full name,a1_cnn\r\n"
        "2024001,minjun.kim@univ.ac.kr,김민준,85\r\n"
        '2024002,seoyeon.lee@univ.ac.kr,"Lee, Seo-yeon",72.5\r\n'
        "2024003,jiho.park@univ.ac.kr,박 지호,0\r\n"
        "2024004,mjkim@univ.ac.kr,Kim Minjun,90.25\r\n"
    )


def test_both_files_read_back_as_csv_with_every_student(rows, tmp_path, monkeypatch):
    (tmp_path / "nbgrader_config.py").write_text('CANVAS_ASSIGNMENT_IDS = {"a1_cnn": 1}\n')
    monkeypatch.setattr(course, "ROOT", tmp_path)
    canvas, moodle = lms.export("a2_rnn", rows, tmp_path)
    assert (canvas.name, moodle.name) == ("a2_rnn.canvas.csv", "a2_rnn.moodle.csv")
    with canvas.open(encoding="utf-8", newline="") as f:
        table = list(csv.reader(f))
    assert table[0][-1] == "a2_rnn"  # no Canvas id is set for a2_rnn
    assert [r[2] for r in table[2:]] == ["2024001", "2024002", "2024003", "2024004"]
    with moodle.open(encoding="utf-8", newline="") as f:
        assert [r[0] for r in list(csv.reader(f))[1:]] == [r.student_id for r in rows]


def test_the_canvas_id_comes_from_nbgrader_config(tmp_path, monkeypatch):
    (tmp_path / "nbgrader_config.py").write_text(
        'CANVAS_ASSIGNMENT_IDS = {"a3_transformer": 777, "a4_generative": ""}\n'
    )
    monkeypatch.setattr(course, "ROOT", tmp_path)
    assert lms.canvas_assignment_id("a3_transformer") == "777"
    assert lms.canvas_assignment_id("a4_generative") is None
    assert lms.canvas_assignment_id("a1_cnn") is None
    grade = [lms.FinalGrade("1", "a", "", "9", 10, 20)]
    path = lms.write_canvas("a3_transformer", grade, tmp_path / "grades")
    assert path.read_text(encoding="utf-8").splitlines()[:2] == [
        "Student,ID,SIS User ID,SIS Login ID,Section,A3 Transformer (777)",
        "    Points Possible,,,,,20",
    ]
    (tmp_path / "nbgrader_config.py").write_text("ASSIGNMENTS = []\n")
    assert lms.canvas_assignment_id("a3_transformer") is None


@pytest.mark.parametrize(
    ("value", "text"),
    [(85, "85"), (85.0, "85"), (72.5, "72.5"), (90.25, "90.25"), (1 / 3, "0.33"), (-0.0, "0"),
     (0, "0"), (100, "100"), (99.999, "100")],
)  # fmt: skip
def test_numbers_use_a_point_and_at_most_two_decimals(value, text):
    assert lms.number(value) == text


def test_column_titles():
    assert lms.canvas_title("a1_cnn") == "A1 CNN"
    assert lms.canvas_title("a4_generative") == "A4 Generative"
    assert lms.canvas_column("a2_rnn") == "a2_rnn"
    assert lms.canvas_column("a2_rnn", "555") == "A2 RNN (555)"


def test_without_a_roster_each_submission_is_its_own_row():
    assert lms.final_grades({"2024002": 70, "2024001": 80.5}, 100) == [
        lms.FinalGrade("2024001", "2024001", "", "", 80.5, 100),
        lms.FinalGrade("2024002", "2024002", "", "", 70.0, 100),
    ]


def test_two_submissions_of_one_student_count_the_higher_score(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    rows = lms.final_grades({"Kim_Minjun": 60, "mjkim": 75, "2024004": 70}, 100, roster.load(path))
    assert [r.score for r in rows] == [None, None, None, 75.0]


def test_rows_that_cannot_be_one_file_are_refused(tmp_path):
    one = lms.FinalGrade("1", "a", "", "", 10, 100)
    with pytest.raises(ValueError, match="student 1 has two final grades"):
        lms.write_moodle("a1_cnn", [one, one], tmp_path)
    with pytest.raises(ValueError, match="disagree on the points possible"):
        lms.write_canvas("a1_cnn", [one, lms.FinalGrade("2", "b", "", "", 10, 50)], tmp_path, 1)
    assert not list(Path(tmp_path).iterdir())

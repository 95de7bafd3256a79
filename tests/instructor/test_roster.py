"""The roster: read as Excel writes it, submissions matched to students, mistakes named."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from grading.intake import roster

CLASS = """student_id,name,email,lms_id
2024001,김민준,minjun.kim@univ.ac.kr,48213
2024002,Lee Seo-yeon,seoyeon.lee@univ.ac.kr,48214
2024003,박 지호,jiho.park@univ.ac.kr,48215
2024004,Kim Minjun,mjkim@univ.ac.kr,48216
2024005,최유나,yuna.choi@univ.ac.kr,
2024006,이도윤,,48218
2024007,정하은,haeun.jung@univ.ac.kr,48219
2024008,김서준,seojun.kim@univ.ac.kr,48220
2024009,김서준,sj.kim@univ.ac.kr,48221
"""


def write(tmp_path: Path, text: str, bom: bool = False, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.replace("\n", "\r\n").encode())
    return path


@pytest.fixture
def class_roster(tmp_path) -> roster.Roster:
    return roster.load(write(tmp_path, CLASS, bom=True))


def test_a_roster_saved_by_excel_with_a_bom_reads_its_first_column(class_roster):
    first = class_roster.students[0]
    assert first == roster.Student("2024001", "김민준", "minjun.kim@univ.ac.kr", "48213", line=2)
    assert [s.student_id for s in class_roster.students] == [f"202400{i}" for i in range(1, 10)]
    assert class_roster.students[4].lms_id == "" and class_roster.students[5].email == ""


def test_without_a_bom_extra_columns_and_other_column_order(tmp_path):
    text = "Email,Name,Section,Student_ID,LMS_ID\nminjun.kim@univ.ac.kr,김민준,A,2024001,48213\n\n"
    (student,) = roster.load(write(tmp_path, text)).students
    assert (student.student_id, student.name, student.email, student.lms_id) == (
        "2024001", "김민준", "minjun.kim@univ.ac.kr", "48213",
    )  # fmt: skip


def test_names_in_the_roster_are_nfc_even_when_the_file_is_nfd(tmp_path):
    nfd = unicodedata.normalize("NFD", "김민준")
    assert nfd != "김민준"
    path = write(tmp_path, f"student_id,name,email,lms_id\n2024001,{nfd},,\n")
    loaded = roster.load(path)
    assert loaded.students[0].name == "김민준"
    assert loaded.match("김민준").student == loaded.students[0]


@pytest.mark.parametrize(
    ("submission", "student_id", "by"),
    [
        ("2024002", "2024002", "student id"),
        ("김민준", "2024001", "name"),
        ("Lee_Seo-yeon", "2024002", "name"),
        ("lee seo-yeon", "2024002", "name"),
        ("LEE__SEO-YEON", "2024002", "name"),
        ("박_지호", "2024003", "name"),
        ("kim_minjun", "2024004", "name"),
        ("mjkim", "2024004", "e-mail"),
        ("minjun.kim", "2024001", "e-mail"),
        ("이도윤", "2024006", "name"),
    ],
)
def test_a_submission_is_matched_by_id_name_or_email(class_roster, submission, student_id, by):
    found = class_roster.match(submission)
    assert found.student is not None and found.student.student_id == student_id
    assert found.by == by and not found.ambiguous


def test_the_student_id_wins_over_a_name_that_is_someone_elses(tmp_path):
    path = write(tmp_path, "student_id,name,email,lms_id\nkim,Kim Park,,\n2,kim,,\n")
    assert roster.load(path).match("kim").student.name == "Kim Park"


def test_two_students_with_one_name_are_ambiguous_and_unknown_ids_are_unknown(class_roster):
    twins = class_roster.match("김서준")
    assert twins.ambiguous and twins.student is None and twins.by == "name"
    assert [s.student_id for s in twins.candidates] == ["2024008", "2024009"]
    nobody = class_roster.match("홍길동")
    assert nobody.student is None and not nobody.ambiguous and nobody.by is None
    assert class_roster.match("김민").student is None  # no prefix matches


def test_a_batch_lists_matched_ambiguous_unknown_shared_and_who_did_not_submit(class_roster):
    batch = ["김민준", "Lee_Seo-yeon", "kim_minjun", "mjkim", "김서준", "홍길동", "최유나"]
    batch.append("2024007")
    m = class_roster.match_all(batch)
    assert {sub: s.student_id for sub, s in m.matched.items()} == {
        "김민준": "2024001", "Lee_Seo-yeon": "2024002", "kim_minjun": "2024004",
        "mjkim": "2024004", "최유나": "2024005", "2024007": "2024007",
    }  # fmt: skip
    assert list(m.ambiguous) == ["김서준"]
    assert m.unknown == ["홍길동"]
    assert m.shared == {"2024004": ["kim_minjun", "mjkim"]}
    # 박 지호 and 이도윤 did not submit; neither did the two 김서준, since their file is ambiguous
    assert [s.student_id for s in m.missing] == ["2024003", "2024006", "2024008", "2024009"]
    notes = m.notes()
    assert notes == [
        "김서준: matches several students on the roster (김서준 (2024008), 김서준 (2024009)); "
        "rename the file to the student id",
        "홍길동: not on the roster",
        "kim_minjun, mjkim: all match Kim Minjun (2024004)",
        "did not submit: 박 지호 (2024003), 이도윤 (2024006), 김서준 (2024008), 김서준 (2024009)",
    ]


def test_a_full_class_has_no_notes(class_roster):
    m = class_roster.match_all([s.student_id for s in class_roster.students])
    assert m.notes() == [] and m.missing == [] and len(m.matched) == 9


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("student_id,name,lms_id\n1,a,2\n", "roster.csv, line 1: missing column email;"),
        ("id,name\n1,a\n", "roster.csv, line 1: missing columns student_id, email, lms_id;"),
        ("", "roster.csv, line 1: the roster is empty"),
        (
            "student_id,name,email,lms_id\n2024001,김민준,,\n2024002,Lee,,\n2024001,Kim,,\n",
            "roster.csv, line 4: duplicate student_id '2024001' (already on line 2)",
        ),
        (
            "student_id,name,email,lms_id\n1,a,x@u.kr,\n2,b,X@u.kr,\n",
            "roster.csv, line 3: duplicate email 'X@u.kr' (already on line 2)",
        ),
        (
            "student_id,name,email,lms_id\n1,a,,7\n\n2,b,,7\n",
            "roster.csv, line 4: duplicate lms_id '7' (already on line 2)",
        ),
        (
            "student_id,name,email,lms_id\n1,Kim, Minjun,,\n",
            "roster.csv, line 2: 5 fields where the header has 4",
        ),
        ("student_id,name,email,lms_id\n,김민준,,\n", "roster.csv, line 2: no student_id"),
        ("student_id,name,email,lms_id,name\n", "roster.csv, line 1: column name appears twice"),
        (
            'student_id,name,email,lms_id\n1,"a,,\n',
            "roster.csv, line 2: not valid CSV (unexpected end of data",
        ),
    ],
)
def test_a_malformed_roster_gets_one_message_naming_file_and_line(tmp_path, text, message):
    with pytest.raises(roster.RosterError) as err:
        roster.load(write(tmp_path, text))
    assert message in str(err.value)
    assert str(tmp_path / "roster.csv") in str(err.value)
    assert "\n" not in str(err.value)


def test_a_roster_saved_as_cp949_is_named_as_not_utf8(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("student_id,name,email,lms_id\r\n2024001,김민준,,\r\n".encode("cp949"))
    with pytest.raises(roster.RosterError, match=r"roster\.csv, line 2: not UTF-8.*CSV UTF-8"):
        roster.load(path)


def test_a_missing_roster_file_is_named(tmp_path):
    with pytest.raises(roster.RosterError, match="no such roster file"):
        roster.load(tmp_path / "absent.csv")


def test_key_treats_case_spaces_and_underscores_alike():
    assert roster.key("  Kim__Min Jun ") == roster.key("kim min_jun") == "kim min jun"
    assert roster.key(unicodedata.normalize("NFD", "김민준")) == "김민준"
    assert roster.key("Kim-Minjun") != roster.key("Kim Minjun")

"""The practice exams and the LMS exports: the exams are fixed, balanced draws; every export,
read back (``tests.export_checks``: Moodle XML with ElementTree, GIFT with ``tests.gift_reader``,
the QTI zip through its manifest), holds the same questions, answers and feedback as the bank."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from questions import PRACTICE_EXAMS, answer_text, load_bank, practice_exam
from questions.exams import draw
from questions.export import chapters_quiz, exam_quiz, write_all
from questions.gift import gift
from questions.model import TYPES, Quiz
from questions.moodle import moodle_xml
from questions.qti import qti_zip
from tests import bank_fixture
from tests.export_checks import check_gift, check_moodle, check_qti


@pytest.fixture(scope="module")
def fixture_root(tmp_path_factory) -> Path:
    return bank_fixture.write_bank(tmp_path_factory.mktemp("bank"))


@pytest.fixture(scope="module")
def fixture_bank(fixture_root):
    return load_bank(fixture_root)


@pytest.fixture(scope="module")
def exported(fixture_bank, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exam")
    write_all(fixture_bank, out)
    return out


# Practice exams


@pytest.mark.parametrize(
    "name, prefixes", [("midterm", "01 02 03 04"), ("final", "01 02 03 04 05 06 07 08")]
)
def test_exam_draws_25_questions_balanced_over_its_chapters_and_types(fixture_bank, name, prefixes):
    exam = practice_exam(name, fixture_bank)
    assert [i.number for i in exam.items] == list(range(1, 26))
    per_chapter = Counter(q.chapter[:2] for q in exam.questions)
    assert sorted(per_chapter) == prefixes.split()
    assert max(per_chapter.values()) - min(per_chapter.values()) <= 1
    per_type = Counter(q.type for q in exam.questions)
    assert set(per_type) == set(TYPES) and max(per_type.values()) - min(per_type.values()) <= 1
    assert len({q.id for q in exam.questions}) == 25


def test_the_seed_decides_the_draw(fixture_bank):
    chapters = list(practice_exam("final", fixture_bank).chapters)
    spec = PRACTICE_EXAMS["final"]
    ids = [[q.id for q in c] for c in draw(chapters, spec.size, spec.seed)]
    assert ids == [[q.id for q in c] for c in draw(chapters, spec.size, spec.seed)]
    assert ids != [[q.id for q in c] for c in draw(chapters, spec.size, replace(spec, seed=1).seed)]


def exam_ids_in_a_fresh_process(root: Path, hash_seed: str) -> dict[str, list[str]]:
    code = (
        "import json, sys; from pathlib import Path; from questions import load_bank, "
        "practice_exam; bank = load_bank(Path(sys.argv[1])); print(json.dumps({n: [q.id for q "
        "in practice_exam(n, bank).questions] for n in ('midterm', 'final')}))"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", code, str(root)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    return json.loads(out.stdout)


def test_exams_are_the_same_in_every_run(fixture_root, fixture_bank):
    first = exam_ids_in_a_fresh_process(fixture_root, "1")
    assert first == exam_ids_in_a_fresh_process(fixture_root, "2")
    assert first == {n: [q.id for q in practice_exam(n, fixture_bank).questions] for n in first}


def test_book_exams_cover_their_chapters_with_about_25_questions():
    for name, spec in PRACTICE_EXAMS.items():
        exam = practice_exam(name)  # LookupError while a chapter's file is missing
        assert len(exam.questions) == spec.size == 25
        assert {q.chapter[:2] for q in exam.questions} == set(spec.chapters)
        assert exam.questions == practice_exam(name).questions
    assert PRACTICE_EXAMS["midterm"].chapters == ("01", "02", "03", "04")


def test_answer_key_states_each_answer(fixture_bank, exported):
    q = fixture_bank.question
    assert answer_text(q("c1-num-half")) == "0.125 (± 0.001)"
    assert answer_text(q("c1-num-int")) == "650"
    assert answer_text(q("c1-tf-false")) == "False"
    assert answer_text(q("c1-multiselect-0")) == "option 0 = {0}; option 1 = {1}"
    assert answer_text(q("c1-short-1")) == "softmax or soft-max"
    key = (exported / "midterm.key.md").read_text()
    for item in practice_exam("midterm", fixture_bank).items:
        assert f"| {item.number} | {item.question.chapter[:2]} | {item.question.id} |" in key


# The exports, read back


def quizzes(bank) -> list[tuple[Quiz, bool]]:
    found = [(chapters_quiz("bank", "Question bank", bank.chapters), True)]
    found += [(exam_quiz(practice_exam(n, bank)), False) for n in PRACTICE_EXAMS]
    return found + [(chapters_quiz("instructor", "Exam bank (instructor)", bank.instructor), True)]


def test_every_export_file_holds_the_bank(fixture_bank, exported):
    for quiz, per_section in quizzes(fixture_bank):
        check_moodle((exported / f"{quiz.name}.moodle.xml").read_bytes(), quiz)
        check_gift((exported / f"{quiz.name}.gift.txt").read_text(encoding="utf-8"), quiz)
        check_qti((exported / f"{quiz.name}.qti.zip").read_bytes(), quiz, per_section)


def test_instructor_questions_stay_in_the_instructor_files(fixture_bank, exported):
    secret = {q.id for c in fixture_bank.instructor for q in c.questions}
    assert len(secret) == 2
    for path in exported.iterdir():
        data = path.read_bytes()
        if path.suffix == ".zip":
            package = zipfile.ZipFile(path)
            data = b"".join(package.read(n) for n in package.namelist())
        leaks = [s for s in secret | {"Secret exam question"} if s.encode() in data]
        assert leaks == [] if not path.name.startswith("instructor.") else len(leaks) == 3, (
            path.name
        )


def test_the_book_bank_exports_read_back_the_same():
    bank = load_bank()
    quiz = chapters_quiz("bank", "Question bank", bank.chapters)
    check_moodle(moodle_xml(quiz), quiz)
    check_gift(gift(quiz), quiz)
    check_qti(qti_zip(quiz, True), quiz, True)

"""The instructor's exam bank (``solutions/exam_bank/``): valid, its numbers recomputed, exported
on its own, and covered by the public copy's fragment scan."""

from __future__ import annotations

from pathlib import Path

from grading import course
from grading.publish import fragments
from questions import check_answer, instructor_fragments, load_bank, notebook_stems
from questions.export import chapters_quiz
from questions.moodle import moodle_xml


def test_instructor_bank_is_valid_and_its_numbers_recompute():
    bank = load_bank()  # ids unique across both banks, every rule of the format
    assert bank.instructor, "solutions/exam_bank/ holds no question file"
    questions = [q for c in bank.instructor for q in c.questions]
    assert len(questions) >= 2
    assert {q.chapter for q in questions} <= set(notebook_stems())
    for q in (q for q in questions if q.type == "numerical"):
        assert check_answer(q).agrees, q.id


def test_instructor_questions_are_exported_apart_from_the_public_bank():
    bank = load_bank()
    secret = {q.id for c in bank.instructor for q in c.questions}
    instructor = moodle_xml(chapters_quiz("instructor", "Exam bank", bank.instructor)).decode()
    public = moodle_xml(chapters_quiz("bank", "Question bank", bank.chapters)).decode()
    assert all(f"<idnumber>{i}</idnumber>" in instructor for i in secret)
    assert not any(i in public for i in secret)


def test_fragment_scan_looks_for_the_instructor_questions(tmp_path: Path):
    mine = instructor_fragments(course.ROOT)
    assert mine and len(next(iter(mine))) == fragments.WINDOW
    secrets = fragments.secret_windows(course.ROOT)
    question = load_bank().instructor[0].questions[0]
    leaked = " ".join(question.explanation.split())
    assert fragments.first_secret(leaked, secrets) is not None
    (tmp_path / "notes.md").write_text(f"Exam tips\n\n{question.explanation}\n")
    (tmp_path / "clean.md").write_text(question.id)
    assert [f.path for f in fragments.scan(tmp_path, secrets)] == ["notes.md"]
    assert fragments.scan(course.ROOT / "book" / "questions", mine) == []

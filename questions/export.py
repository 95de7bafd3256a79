"""``make exam-bank``: the bank, each practice exam and the instructor's questions, each as
Moodle XML, GIFT and a Canvas QTI zip, plus each exam's answer key, into ``_build/exam/``.

Public and instructor-only questions never share a file: ``bank.*``, ``midterm.*`` and
``final.*`` hold public questions only, ``instructor.*`` the questions of ``solutions/exam_bank/``.
"""

from __future__ import annotations

import re
from pathlib import Path

from questions.bank import Bank
from questions.exams import PRACTICE_EXAMS, PracticeExam, practice_exam
from questions.gift import gift
from questions.model import Chapter, Quiz, Section
from questions.moodle import moodle_xml
from questions.qti import qti_zip

OUT = Path("_build/exam")
FORMATS = ("moodle.xml", "gift.txt", "qti.zip")


def section_name(chapter: Chapter) -> str:
    """A chapter's category name: its number and title, without a "Chapter 3:" or "Appendix:"
    in front and without slashes (``03 Multilayer Perceptron``)."""
    title = re.sub(r"^(Chapter \d+|Appendix)\s*:\s*", "", chapter.title)
    return f"{chapter.chapter[:2]} {title}".replace("/", "-")


def chapters_quiz(name: str, title: str, chapters: tuple[Chapter, ...]) -> Quiz:
    """A quiz with one section per chapter that has questions."""
    sections = tuple(Section(section_name(c), c.questions) for c in chapters if c.questions)
    return Quiz(name, title, sections)


def exam_quiz(exam: PracticeExam) -> Quiz:
    """A practice exam as a quiz, its questions under their chapters, in exam order."""
    sections = []
    for chapter in exam.chapters:
        picked = tuple(i.question for i in exam.items if i.question.chapter == chapter.chapter)
        sections.append(Section(section_name(chapter), picked))
    return Quiz(exam.spec.name, exam.spec.title, tuple(sections))


def answer_key(exam: PracticeExam) -> str:
    """The exam's answer key as Markdown: number, chapter, id, answer."""
    lines = [
        f"# {exam.spec.title}: answer key",
        "",
        "| # | chapter | question | answer |",
        "| --- | --- | --- | --- |",
    ]
    for item in exam.items:
        answer = item.key.replace("|", "\\|")
        lines.append(
            f"| {item.number} | {item.question.chapter[:2]} | {item.question.id} | {answer} |"
        )
    return "\n".join(lines) + "\n"


def write_quiz(quiz: Quiz, out: Path, per_section: bool) -> list[Path]:
    """The three files of one quiz; Canvas gets one quiz per chapter with ``per_section``."""
    data = {
        "moodle.xml": moodle_xml(quiz),
        "gift.txt": gift(quiz).encode("utf-8"),
        "qti.zip": qti_zip(quiz, per_section),
    }
    paths = []
    for suffix in FORMATS:
        path = out / f"{quiz.name}.{suffix}"
        path.write_bytes(data[suffix])
        paths.append(path)
    return paths


def write_all(bank: Bank, out: Path = OUT) -> list[Path]:
    """Every export of ``bank`` into ``out``: bank, midterm, final (with keys), instructor."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("instructor.*"):  # never left behind once the instructor bank is gone
        stale.unlink()
    paths = write_quiz(chapters_quiz("bank", "Question bank", bank.chapters), out, True)
    for name in PRACTICE_EXAMS:
        exam = practice_exam(name, bank)
        paths += write_quiz(exam_quiz(exam), out, False)
        key = out / f"{name}.key.md"
        key.write_text(answer_key(exam), encoding="utf-8")
        paths.append(key)
    if bank.instructor:
        instructor = chapters_quiz("instructor", "Exam bank (instructor)", bank.instructor)
        paths += write_quiz(instructor, out, True)
    return paths

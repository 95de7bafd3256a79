"""Loading the bank: the public chapter files in ``book/questions/`` and the instructor-only
exam questions in ``solutions/exam_bank/`` (same format, optional, never in the public copy)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from questions.model import Chapter, Question, parse_chapter
from questions.validate import CHAPTER, Problem, bank_problems

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = Path("book/questions")
INSTRUCTOR = Path("solutions/exam_bank")
WINDOW = 40
"""The fragment length of ``grading.fragments.WINDOW``: any run this long of a secret leaks it."""
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML has it: faster


class BankError(ValueError):
    """The bank breaks its rules; ``problems`` lists every violation, one line each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n  ".join(str(p) for p in problems)
        super().__init__(f"the question bank has {len(problems)} problem(s):\n  {lines}")


@dataclass(frozen=True)
class Bank:
    """The public chapters (in file order) and the instructor-only ones."""

    chapters: tuple[Chapter, ...]
    instructor: tuple[Chapter, ...] = ()

    @property
    def questions(self) -> list[Question]:
        """Every public question, chapter by chapter."""
        return [q for c in self.chapters for q in c.questions]

    def chapter(self, stem: str) -> Chapter:
        """The public chapter with this notebook stem; KeyError naming the stems there are."""
        for c in self.chapters:
            if c.chapter == stem:
                return c
        raise KeyError(
            f"no chapter {stem!r} in the bank; it has {[c.chapter for c in self.chapters]}"
        )

    def question(self, qid: str) -> Question:
        """The question with this id, public or instructor-only."""
        for c in (*self.chapters, *self.instructor):
            for q in c.questions:
                if q.id == qid:
                    return q
        raise KeyError(f"no question {qid!r} in the bank")


def shown(path: Path, root: Path) -> Path:
    """``path`` relative to ``root`` where it lies inside it (for messages)."""
    return path.relative_to(root) if path.is_relative_to(root) else path


def read_chapter(path: Path, root: Path = ROOT) -> tuple[Chapter | None, list[Problem]]:
    """One file parsed, or None with the problem that kept it from being read."""
    name = shown(path, root)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
    except yaml.YAMLError as error:
        return None, [Problem(name, CHAPTER, f"not valid YAML: {' '.join(str(error).split())}")]
    if not isinstance(raw, dict):
        return None, [Problem(name, CHAPTER, "the file must be a mapping (chapter:, title:, ...)")]
    return parse_chapter(raw, name), []


def chapter_files(root: Path, folder: Path) -> list[Path]:
    """The bank's YAML files in ``root/folder``, sorted by name (so by chapter number)."""
    return sorted((root / folder).glob("*.yml")) if (root / folder).is_dir() else []


def read_folder(root: Path, folder: Path) -> tuple[list[Chapter], list[Problem]]:
    """Every file of ``root/folder`` that parses, and the problems of those that do not."""
    chapters, problems = [], []
    for path in chapter_files(root, folder):
        chapter, found = read_chapter(path, root)
        problems += found
        if chapter is not None:
            chapters.append(chapter)
    return chapters, problems


def load_bank(root: Path = ROOT) -> Bank:
    """The whole bank under ``root``, validated; BankError listing every problem if it breaks a
    rule (the instructor's files are read where ``solutions/exam_bank/`` exists)."""
    public, problems = read_folder(root, PUBLIC)
    instructor, more = read_folder(root, INSTRUCTOR)
    problems += more + bank_problems(public, instructor)
    if problems:
        raise BankError(problems)
    return Bank(tuple(public), tuple(instructor))


def notebook_stems(root: Path = ROOT) -> list[str]:
    """The stems of the book's chapter notebooks (``00_pytorch_primer`` ... ``08_...``): the
    chapters that each need a file in the bank."""
    return sorted(p.stem for p in (root / "book").glob("[0-9][0-9]_*.ipynb"))


def texts(question: Question) -> Iterator[str]:
    """Every piece of prose of a question: text, options, feedback, answers, explanation."""
    yield from (
        question.text,
        question.explanation,
        question.feedback_true,
        question.feedback_false,
        *question.answers,
    )
    for option in question.options:
        yield from (option.text, option.feedback)


def windows(text: str) -> set[str]:
    """Every run of ``WINDOW`` characters of ``text``, whitespace normalised to single spaces."""
    text = re.sub(r"\s+", " ", text)
    return {text[i : i + WINDOW] for i in range(len(text) - WINDOW + 1)}


def instructor_fragments(root: Path = ROOT) -> set[str]:
    """Every ``WINDOW``-character run of the instructor-only questions' prose that the public
    bank does not itself show: what the public copy must never contain."""
    secret: set[str] = set()
    for chapter in read_folder(root, INSTRUCTOR)[0]:
        for question in chapter.questions:
            for text in texts(question):
                secret |= windows(text)
    for path in chapter_files(root, PUBLIC):
        secret -= windows(f" {path.read_text(encoding='utf-8')} ")
    return secret

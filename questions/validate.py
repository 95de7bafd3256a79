"""The bank's rules: each violation is one ``Problem`` naming the file, the entry and what is wrong.

``question_problems`` checks one question, ``chapter_problems`` one file (``public`` files also
have the chapter quotas: questions, numerical share, worked problems, exercises), and
``bank_problems`` the whole bank (ids unique across every file, the instructor's included).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from questions.model import TYPES, Chapter, Question

ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
MIN_QUESTIONS = 12
MIN_NUMERICAL_SHARE = 1 / 3
MIN_WORKED = 3
MAX_SENTENCES = 3
CHAPTER = "(chapter)"  # what a problem of the file as a whole names instead of an id


@dataclass(frozen=True)
class Problem:
    """One violation of the bank's rules."""

    path: Path
    entry: str  # a question or worked-problem id, or CHAPTER
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.entry or '(no id)'}: {self.message}"


def sentences(text: str) -> int:
    """How many sentences ``text`` has (math and code spans do not end one)."""
    plain = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`", "X", text, flags=re.S)
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'`$*_])", plain.strip())
    return len([p for p in parts if p.strip()])


def _choice_problems(q: Question) -> Iterable[str]:
    if len(q.options) < 2:
        yield f"{q.type} needs at least 2 options, has {len(q.options)}"
    for i, option in enumerate(q.options, 1):
        if not option.text:
            yield f"option {i} has no text"
        if option.correct is None:
            yield f"option {i} needs `correct: true` or `correct: false`"
        if not option.feedback:
            yield f"option {i} ({option.text[:30]!r}) has no feedback"
    right = len(q.correct_options)
    wrong = sum(o.correct is False for o in q.options)
    if q.type == "multichoice" and right != 1:
        yield f"multichoice needs exactly one correct option, has {right}"
    if q.type == "multiselect" and (right < 2 or wrong < 1):
        yield f"multiselect needs >= 2 correct and >= 1 wrong options, has {right} and {wrong}"
    if right > 10 or wrong > 10:
        yield f"at most 10 correct and 10 wrong options (Moodle's shares), has {right} and {wrong}"
    if len({o.text for o in q.options}) < len(q.options):
        yield "two options have the same text"


def _numerical_problems(q: Question) -> Iterable[str]:
    if q.answer is None or isinstance(q.answer, bool):
        yield "numerical needs `answer`: a number (YAML reads 1e-5 as text: write 1.0e-5)"
    if q.tolerance is None:
        yield "numerical needs `tolerance`: an absolute tolerance, a number >= 0"
    elif q.tolerance < 0:
        yield f"numerical needs `tolerance` >= 0, has {q.tolerance}"
    if not q.compute.strip():
        yield "numerical needs `compute`: Python code that sets `answer`"


def _type_problems(q: Question) -> Iterable[str]:
    if q.type in ("multichoice", "multiselect"):
        yield from _choice_problems(q)
    elif q.type == "truefalse":
        if not isinstance(q.answer, bool):
            yield "truefalse needs `answer: true` or `answer: false`"
        if not (q.feedback_true and q.feedback_false):
            yield "truefalse needs both `feedback_true` and `feedback_false`"
    elif q.type == "numerical":
        yield from _numerical_problems(q)
    elif q.type == "shortanswer" and not [a for a in q.answers if a]:
        yield "shortanswer needs `answers`: a list of one or more accepted answers"


def question_problems(q: Question) -> list[str]:
    """What is wrong with one question, as messages (empty when it is valid)."""
    found = []
    if not ID.match(q.id):
        found.append(f"id {q.id!r} must be lowercase letters, digits and single dashes")
    if q.type not in TYPES:
        found.append(f"type {q.type!r} is not one of {' | '.join(TYPES)}")
    if not q.text:
        found.append("no `text`")
    count = sentences(q.explanation)
    if not 1 <= count <= MAX_SENTENCES:
        found.append(f"`explanation` must have 1-{MAX_SENTENCES} sentences, has {count}")
    found += _type_problems(q)
    return found


def _quota_problems(chapter: Chapter) -> Iterable[str]:
    count = len(chapter.questions)
    numerical = sum(q.type == "numerical" for q in chapter.questions)
    if count < MIN_QUESTIONS:
        yield f"{count} questions, at least {MIN_QUESTIONS} needed"
    if numerical < MIN_NUMERICAL_SHARE * count:
        yield f"{numerical} of {count} questions are numerical, at least a third needed"
    if len(chapter.worked_problems) < MIN_WORKED:
        yield f"{len(chapter.worked_problems)} worked problems, at least {MIN_WORKED} needed"
    numbers = [e.number for e in chapter.exercises]
    if numbers != list(range(1, len(numbers) + 1)):
        yield f"exercises must be numbered 1..{len(numbers)} in order, are {numbers}"


def _worked_problems(chapter: Chapter) -> Iterable[Problem]:
    for w in chapter.worked_problems:
        missing = [k for k in ("title", "problem", "solution", "check") if not getattr(w, k)]
        if not ID.match(w.id):
            yield Problem(chapter.path, w.id, "worked problem needs an id of [a-z0-9-]")
        if missing:
            yield Problem(chapter.path, w.id, f"worked problem lacks {', '.join(missing)}")


def chapter_problems(chapter: Chapter, public: bool = True) -> list[Problem]:
    """What is wrong with one file; ``public`` files must also meet the chapter quotas."""
    path = chapter.path
    found = [Problem(path, CHAPTER, f"unknown top-level key {k!r}") for k in chapter.extra]
    if chapter.chapter != path.stem:
        found.append(Problem(path, CHAPTER, f"`chapter: {chapter.chapter}` must be {path.stem}"))
    if not chapter.title:
        found.append(Problem(path, CHAPTER, "no `title`"))
    for q in chapter.questions:
        found += [Problem(path, q.id, m) for m in question_problems(q)]
    found += _worked_problems(chapter)
    found += [
        Problem(path, CHAPTER, f"exercise {e.number} has no answer")
        for e in chapter.exercises
        if not e.answer
    ]
    if public:
        found += [Problem(path, CHAPTER, m) for m in _quota_problems(chapter)]
    return found


def duplicate_ids(chapters: Sequence[Chapter]) -> list[Problem]:
    """One problem for each id used twice anywhere in ``chapters``, naming where it first was."""
    seen: dict[str, Path] = {}
    found = []
    for chapter in chapters:
        ids = [q.id for q in chapter.questions] + [w.id for w in chapter.worked_problems]
        for entry in (i for i in ids if i):
            if entry in seen:
                found.append(Problem(chapter.path, entry, f"id already used in {seen[entry]}"))
            else:
                seen[entry] = chapter.path
    return found


def bank_problems(public: Sequence[Chapter], instructor: Sequence[Chapter] = ()) -> list[Problem]:
    """Every problem of the bank: each file's own, then ids used twice across all files."""
    found = [p for c in public for p in chapter_problems(c, public=True)]
    found += [p for c in instructor for p in chapter_problems(c, public=False)]
    return found + duplicate_ids([*public, *instructor])

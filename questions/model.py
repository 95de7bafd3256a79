"""The question bank's records: one dataclass per kind of entry of a chapter's YAML file.

Parsing is lenient on purpose: a missing or mistyped field becomes ``None`` (or empty) here, and
``questions.validate`` names it, so that one run reports every problem of a file at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TYPES = ("multichoice", "multiselect", "truefalse", "numerical", "shortanswer")
"""The question types, in the order exams and exports list them."""


@dataclass(frozen=True)
class Option:
    """One option of a multichoice or multiselect question."""

    text: str
    correct: bool | None  # None: the field is missing or not a boolean
    feedback: str


@dataclass(frozen=True)
class Question:
    """One question; which fields matter depends on ``type``."""

    id: str
    type: str
    text: str
    explanation: str
    chapter: str = ""  # the stem of the chapter file it comes from
    options: tuple[Option, ...] = ()  # multichoice, multiselect
    answer: float | bool | None = None  # numerical: the number; truefalse: the truth
    tolerance: float | None = None  # numerical: absolute tolerance
    compute: str = ""  # numerical: Python that sets `answer`
    answers: tuple[str, ...] = ()  # shortanswer: accepted spellings
    feedback_true: str = ""  # truefalse: shown to whoever answers "true"
    feedback_false: str = ""  # truefalse: shown to whoever answers "false"

    @property
    def correct_options(self) -> list[Option]:
        """The options marked correct."""
        return [o for o in self.options if o.correct is True]


@dataclass(frozen=True)
class WorkedProblem:
    """A problem for pen and paper, with a worked solution and the code that checks its numbers."""

    id: str
    title: str
    problem: str
    solution: str
    check: str


@dataclass(frozen=True)
class Exercise:
    """The answer to one item of a chapter's "Exercises" list."""

    number: int | None
    answer: str


@dataclass(frozen=True)
class GlossaryEntry:
    """A term the chapter defines."""

    term: str
    definition: str


@dataclass(frozen=True)
class Equation:
    """One of the chapter's key equations, for its equation sheet."""

    name: str
    latex: str
    note: str = ""


@dataclass(frozen=True)
class Chapter:
    """One YAML file of the bank: a chapter's questions and the rest of its study material."""

    path: Path
    chapter: str
    title: str
    questions: tuple[Question, ...]
    worked_problems: tuple[WorkedProblem, ...] = ()
    exercises: tuple[Exercise, ...] = ()
    glossary: tuple[GlossaryEntry, ...] = ()
    equations: tuple[Equation, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # top-level keys this format lacks


KEYS = ("chapter", "title", "questions", "worked_problems", "exercises", "glossary", "equations")


def text(value: Any) -> str:
    """A text field: a string as it is (stripped), a number as written, anything else empty."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def number(value: Any) -> float | None:
    """A number field: ints, floats, and strings such as ``1e-5`` (which YAML reads as text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value) if isinstance(value, str) else None
    except ValueError:
        return None


def entries(value: Any) -> list[dict[str, Any]]:
    """A list of mappings; anything that is not a mapping becomes an empty one (and fails later)."""
    return [v if isinstance(v, dict) else {} for v in value] if isinstance(value, list) else []


def parse_option(raw: dict[str, Any]) -> Option:
    correct = raw.get("correct")
    return Option(
        text(raw.get("text")),
        correct if isinstance(correct, bool) else None,
        text(raw.get("feedback")),
    )


def parse_question(raw: dict[str, Any], chapter: str) -> Question:
    """A question from its YAML mapping."""
    kind = text(raw.get("type"))
    answer = raw.get("answer")
    answers = raw.get("answers")
    return Question(
        id=text(raw.get("id")),
        type=kind,
        text=text(raw.get("text")),
        explanation=text(raw.get("explanation")),
        chapter=chapter,
        options=tuple(parse_option(o) for o in entries(raw.get("options"))),
        answer=answer if isinstance(answer, bool) and kind == "truefalse" else number(answer),
        tolerance=number(raw.get("tolerance")),
        compute=raw.get("compute") if isinstance(raw.get("compute"), str) else "",
        answers=tuple(text(a) for a in answers) if isinstance(answers, list) else (),
        feedback_true=text(raw.get("feedback_true")),
        feedback_false=text(raw.get("feedback_false")),
    )


def parse_chapter(raw: dict[str, Any], path: Path) -> Chapter:
    """A chapter from the mapping of its YAML file."""
    stem = text(raw.get("chapter"))
    exercises = [
        Exercise(
            e.get("number") if isinstance(e.get("number"), int) else None, text(e.get("answer"))
        )
        for e in entries(raw.get("exercises"))
    ]
    return Chapter(
        path=path,
        chapter=stem,
        title=text(raw.get("title")),
        questions=tuple(parse_question(q, stem) for q in entries(raw.get("questions"))),
        worked_problems=tuple(
            WorkedProblem(
                text(w.get("id")),
                text(w.get("title")),
                text(w.get("problem")),
                text(w.get("solution")),
                w.get("check") if isinstance(w.get("check"), str) else "",
            )
            for w in entries(raw.get("worked_problems"))
        ),
        exercises=tuple(exercises),
        glossary=tuple(
            GlossaryEntry(text(g.get("term")), text(g.get("definition")))
            for g in entries(raw.get("glossary"))
        ),
        equations=tuple(
            Equation(text(e.get("name")), text(e.get("latex")), text(e.get("note")))
            for e in entries(raw.get("equations"))
        ),
        extra={k: v for k, v in raw.items() if k not in KEYS},
    )


@dataclass(frozen=True)
class Section:
    """A named group of questions in an export: a chapter's category (Moodle) or quiz (Canvas)."""

    name: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Quiz:
    """What one export file holds: the bank, a practice exam, or the instructor's questions."""

    name: str  # the file name's stem: bank, midterm, final, instructor
    title: str
    sections: tuple[Section, ...]

    @property
    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

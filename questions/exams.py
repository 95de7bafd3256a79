"""The practice exams: a fixed, seeded draw from the public bank, balanced across chapters and
question types, with its answer key.

The draw depends only on the seed and the bank's contents: the same bank gives the same exam on
every run and machine. Changing a chapter's questions may change its exam.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from questions.bank import Bank, load_bank
from questions.model import TYPES, Chapter, Question


@dataclass(frozen=True)
class ExamSpec:
    """What an exam covers: the chapters' number prefixes, its length and its seed."""

    name: str
    title: str
    chapters: tuple[str, ...]
    size: int
    seed: int


PRACTICE_EXAMS = {
    "midterm": ExamSpec("midterm", "Practice midterm", ("01", "02", "03", "04"), 25, 52804),
    "final": ExamSpec("final", "Practice final", tuple(f"{n:02d}" for n in range(1, 9)), 25, 52808),
}
"""The primer (00) is left out: it reviews PyTorch itself and is not a syllabus topic."""


@dataclass(frozen=True)
class ExamItem:
    """One question of an exam, with its number there and its chapter's title."""

    number: int
    question: Question
    chapter_title: str

    @property
    def key(self) -> str:
        """The answer, as the answer key states it."""
        return answer_text(self.question)


@dataclass(frozen=True)
class PracticeExam:
    """A drawn exam: its spec, the chapters it covers and its numbered questions."""

    spec: ExamSpec
    chapters: tuple[Chapter, ...]
    items: tuple[ExamItem, ...]

    @property
    def questions(self) -> list[Question]:
        return [item.question for item in self.items]


def answer_text(q: Question) -> str:
    """A question's answer in a few words: the correct option(s), true/false, the number with
    its tolerance, or the accepted answers."""
    if q.type in ("multichoice", "multiselect"):
        return "; ".join(o.text for o in q.correct_options)
    if q.type == "truefalse":
        return "True" if q.answer else "False"
    if q.type == "numerical":
        return f"{q.answer:g} (± {q.tolerance:g})" if q.tolerance else f"{q.answer:g}"
    return " or ".join(q.answers)


def quotas(size: int, count: int) -> list[int]:
    """``size`` split over ``count`` chapters as evenly as possible, earlier chapters first."""
    return [size // count + (i < size % count) for i in range(count)]


def _pools(chapter: Chapter, rng: random.Random) -> dict[str, list[Question]]:
    """The chapter's questions by type, each list shuffled by ``rng`` from the id order."""
    pools = {}
    for kind in TYPES:
        pool = sorted((q for q in chapter.questions if q.type == kind), key=lambda q: q.id)
        rng.shuffle(pool)
        pools[kind] = pool
    return pools


def draw(chapters: list[Chapter], size: int, seed: int) -> list[list[Question]]:
    """Per chapter, the questions drawn: chapters take turns, and each takes a question of the
    type drawn least so far overall (of those it still has), so that both stay balanced."""
    rng = random.Random(seed)
    pools = [_pools(c, rng) for c in chapters]
    wanted = quotas(size, len(chapters))
    picked: list[list[Question]] = [[] for _ in chapters]
    used: Counter[str] = Counter()
    while any(len(p) < w for p, w in zip(picked, wanted)):
        for i, chapter in enumerate(chapters):
            if len(picked[i]) == wanted[i]:
                continue
            kinds = [k for k in TYPES if pools[i][k]]
            if not kinds:
                raise ValueError(
                    f"{chapter.path}: too few questions for {wanted[i]} exam questions"
                )
            kind = min(kinds, key=lambda k: (used[k], TYPES.index(k)))
            picked[i].append(pools[i][kind].pop())
            used[kind] += 1
    return picked


def covered(bank: Bank, spec: ExamSpec) -> list[Chapter]:
    """The bank's chapters for ``spec``; LookupError naming any chapter the bank lacks."""
    chapters = [c for c in bank.chapters if c.chapter[:2] in spec.chapters]
    missing = sorted(set(spec.chapters) - {c.chapter[:2] for c in chapters})
    if missing:
        raise LookupError(f"the {spec.name} needs chapters {missing}, which have no bank file yet")
    return chapters


def practice_exam(name: str, bank: Bank | None = None) -> PracticeExam:
    """The practice exam ``name`` ("midterm" or "final") drawn from ``bank`` (the book's bank by
    default): always the same questions for the same bank, numbered in chapter order."""
    spec = PRACTICE_EXAMS[name]
    bank = bank if bank is not None else load_bank()
    chapters = covered(bank, spec)
    items: list[ExamItem] = []
    for chapter, questions in zip(chapters, draw(chapters, spec.size, spec.seed)):
        for q in questions:
            items.append(ExamItem(len(items) + 1, q, chapter.title))
    return PracticeExam(spec, tuple(chapters), tuple(items))

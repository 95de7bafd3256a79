"""A small, valid question bank written into a temporary folder, for the bank's tests.

Each chapter has 12 questions (4 numerical, 2 of every other type), 3 worked problems and 2
exercises; the texts hold what the exporters must escape or keep: GIFT's ``~ = # { } :``, HTML's
``< &``, math with ``\\nabla`` and subscripts, code spans and a second paragraph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TRICKY = r"Is $\nabla_w L = 2 \{x_i\}$ & `a<b` ~ #1: ok?"


def _numerical(n: int) -> list[dict[str, Any]]:
    cases = [
        ("int", 650, 0, "answer = 64 * 10 + 10"),
        ("half", 0.125, 0.001, "answer = torch.tensor(0.5).pow(3).item()"),
        ("zero", 0, 0.01, "answer = math.sin(0.0)"),
        ("tiny", 1.0e-5, 1.0e-7, "answer = float(np.float32(1e-5))"),
    ]
    return [
        {
            "id": f"c{n}-num-{name}",
            "type": "numerical",
            "text": f"Chapter {n}: what is the value {name}?\n\n{TRICKY}",
            "answer": answer,
            "tolerance": tolerance,
            "compute": code,
            "explanation": f"It is {answer}. The code recomputes it.",
        }
        for name, answer, tolerance, code in cases
    ]


def _choices(n: int, kind: str, i: int) -> dict[str, Any]:
    right = 1 if kind == "multichoice" else 2 + i
    options = [
        {
            "text": f"option {k} = {{{k}}}",
            "correct": k < right,
            "feedback": f"Feedback {k}: {'right' if k < right else 'wrong'} ~ $x_{k}$.",
        }
        for k in range(right + 2)
    ]
    return {
        "id": f"c{n}-{kind}-{i}",
        "type": kind,
        "text": f"Pick ({kind} {i}). {TRICKY}",
        "options": options,
        "explanation": "Options below the right count are right.",
    }


def _others(n: int) -> list[dict[str, Any]]:
    found = [_choices(n, kind, i) for kind in ("multichoice", "multiselect") for i in range(2)]
    found += [
        {
            "id": f"c{n}-tf-{str(truth).lower()}",
            "type": "truefalse",
            "text": f"It is {truth}: {TRICKY}",
            "answer": truth,
            "feedback_true": f"You said true # {truth}.",
            "feedback_false": f"You said false = {not truth}.",
            "explanation": f"The statement is {truth}. Really.",
        }
        for truth in (True, False)
    ]
    found += [
        {
            "id": f"c{n}-short-{i}",
            "type": "shortanswer",
            "text": f"Name it {i}: {TRICKY}",
            "answers": ["softmax", "soft-max"] if i else ["ReLU"],
            "explanation": "That is its name.",
        }
        for i in range(2)
    ]
    return found


def chapter(n: int, stem: str) -> dict[str, Any]:
    """A valid chapter file's content for chapter number ``n``."""
    worked = [
        {
            "id": f"c{n}-wp-{k}",
            "title": f"Problem {k}",
            "problem": "Add one and one.",
            "solution": "1. $1 + 1 = 2$.",
            "check": "assert 1 + 1 == 2",
        }
        for k in range(3)
    ]
    return {
        "chapter": stem,
        "title": f"Topic {n}",
        "questions": _numerical(n) + _others(n),
        "worked_problems": worked,
        "exercises": [{"number": k, "answer": f"Answer {k}."} for k in (1, 2)],
    }


STEMS = ["00_primer", *(f"0{n}_topic{n}" for n in range(1, 9))]


def write_bank(root: Path, instructor: bool = True) -> Path:
    """A bank of nine chapters (``00`` to ``08``) under ``root`` (and, with ``instructor``, two
    instructor-only questions on chapter 1); returns ``root``."""
    folder = root / "book" / "questions"
    folder.mkdir(parents=True)
    for n, stem in enumerate(STEMS):
        write(folder / f"{stem}.yml", chapter(n, stem))
    if instructor:
        secret = {
            "chapter": STEMS[1],
            "title": "Topic 1",
            "questions": [
                dict(
                    q,
                    id=f"secret-{q['id']}",
                    text=f"Secret exam question {i}, never shown to students before the exam day.",
                )
                for i, q in enumerate(chapter(1, STEMS[1])["questions"][::6])
            ],
        }
        (root / "solutions" / "exam_bank").mkdir(parents=True)
        write(root / "solutions" / "exam_bank" / f"{STEMS[1]}.yml", secret)
    return root


def write(path: Path, content: dict[str, Any]) -> Path:
    """``content`` as a YAML file at ``path``."""
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump(content, Dumper=dumper, sort_keys=False, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path

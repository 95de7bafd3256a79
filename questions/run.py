"""Running a question's ``compute`` code and a worked problem's ``check`` code.

Both run in a fresh namespace with ``torch``, ``math`` and ``numpy as np`` imported, after
seeding torch's and NumPy's global generators with 0, so that a run is repeatable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from questions.model import Question, WorkedProblem


class CodeError(AssertionError):
    """A question's or worked problem's code failed, or disagrees with what the bank states."""


@dataclass(frozen=True)
class Computed:
    """What a numerical question's ``compute`` code gave, beside what the bank states."""

    question: Question
    value: float

    @property
    def agrees(self) -> bool:
        """Whether the computed value lies within the stated tolerance of the stated answer."""
        stated, tolerance = float(self.question.answer), float(self.question.tolerance or 0)
        return math.isclose(self.value, stated, rel_tol=1e-9, abs_tol=tolerance)


def namespace() -> dict[str, Any]:
    """A fresh namespace for bank code: torch, math and numpy (as np), generators seeded."""
    import numpy as np
    import torch

    torch.manual_seed(0)
    np.random.seed(0)
    return {"torch": torch, "math": math, "np": np, "__name__": "__bank__"}


def _run(code: str, where: str) -> dict[str, Any]:
    scope = namespace()
    try:
        exec(compile(code, where, "exec"), scope)
    except AssertionError as error:
        raise CodeError(f"{where}: an assertion failed: {error}") from error
    except Exception as error:
        raise CodeError(f"{where}: {type(error).__name__}: {error}") from error
    return scope


def compute(question: Question) -> Computed:
    """Run ``question.compute``; CodeError if it fails or leaves no number in ``answer``."""
    where = f"{question.chapter}/{question.id} (compute)"
    if question.type != "numerical":
        raise ValueError(f"{where}: only numerical questions have compute code")
    value = _run(question.compute, where).get("answer")
    if value is None:
        raise CodeError(f"{where}: the code does not set `answer`")
    try:
        return Computed(question, float(value))
    except (TypeError, ValueError, RuntimeError) as error:
        raise CodeError(f"{where}: `answer` is {value!r}, not one number") from error


def check_answer(question: Question) -> Computed:
    """Run ``question.compute`` and CodeError unless it agrees with the stated answer."""
    result = compute(question)
    if not result.agrees:
        raise CodeError(
            f"{question.chapter}/{question.id}: compute gives {result.value!r}, the bank states "
            f"{question.answer!r} with tolerance {question.tolerance!r}"
        )
    return result


def run_check(problem: WorkedProblem, chapter: str = "") -> None:
    """Run a worked problem's ``check`` code; CodeError if it fails or an assertion fails."""
    _run(problem.check, f"{chapter}/{problem.id} (check)" if chapter else f"{problem.id} (check)")

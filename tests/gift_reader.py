"""A small reader of GIFT, Moodle's text format, for reading the exports back in the tests.

It knows what the exports write: ``$CATEGORY:`` lines, ``//`` comments, and questions
``::title::[html]text{answers####general feedback}`` separated by blank lines, whose answers are
``=right#feedback``, ``~wrong#feedback``, ``~%weight%text#feedback``, ``T#wrong#right`` (or ``F``)
and ``#number:tolerance``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ESCAPABLE = "~=#{}:"


@dataclass
class GiftQuestion:
    id: str
    text: str
    general: str = ""
    answers: list[tuple[str, float | None, str, str | None]] = field(default_factory=list)
    truth: bool | None = None
    feedback: list[str] = field(default_factory=list)
    number: tuple[float, float] | None = None


def unescape(text: str) -> str:
    """GIFT's escapes undone: ``\\~`` ... ``\\:`` and ``\\n``, then the ``&#92;`` entity."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in ESCAPABLE + "n":
            out.append("\n" if text[i + 1] == "n" else text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out).replace("&#92;", "\\")


def split(text: str, separators: str) -> list[str]:
    """``text`` cut before every unescaped separator character (each piece keeps its own)."""
    pieces, start, i = [], 0, 0
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] in separators and i > start:
            pieces.append(text[start:i])
            start = i
        i += 1
    return pieces + [text[start:]]


def unescaped_index(text: str, char: str, reverse: bool = False) -> int:
    """The index of the first (or last) unescaped ``char`` in ``text``."""
    found = [i for i, c in enumerate(text) if c == char and (i == 0 or text[i - 1] != "\\")]
    return found[-1] if reverse else found[0]


def _answer(piece: str) -> tuple[str, float | None, str, str | None]:
    kind, rest = piece[0], piece[1:].strip()
    weight = None
    if rest.startswith("%"):
        end = rest.index("%", 1)
        weight, rest = float(rest[1:end]), rest[end + 1 :]
    text, *feedback = split(rest, "#")
    return (
        kind,
        weight,
        unescape(text.strip()),
        unescape(feedback[0][1:].strip()) if feedback else None,
    )


def read_question(block: str) -> GiftQuestion:
    """One question block."""
    title = re.match(r"::(.*?)::", block)
    rest = block[title.end() :].removeprefix("[html]")
    open_, close = unescaped_index(rest, "{"), unescaped_index(rest, "}", reverse=True)
    body, _, general = rest[open_ + 1 : close].partition("####")
    question = GiftQuestion(title.group(1), unescape(rest[:open_]), unescape(general.strip()))
    body = body.strip()
    if body[0] in "TF":
        truth, *feedback = split(body, "#")
        question.truth = truth.strip() == "T"
        question.feedback = [unescape(f[1:].strip()) for f in feedback]
    elif body[0] == "#":
        value, tolerance = body[1:].split(":")
        question.number = (float(value), float(tolerance))
    else:
        question.answers = [_answer(p.strip()) for p in split(body, "=~")]
    return question


def read_gift(text: str) -> tuple[list[str], list[GiftQuestion]]:
    """The categories and the questions of a GIFT file, in order."""
    categories, questions = [], []
    for block in (b.strip() for b in text.split("\n\n")):
        if block.startswith("$CATEGORY:"):
            categories.append(block.removeprefix("$CATEGORY:").strip())
        elif block.startswith("::"):
            questions.append(read_question(block))
        elif block and not block.startswith("//"):
            raise ValueError(f"not GIFT: {block[:60]!r}")
    return categories, questions

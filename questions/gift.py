"""GIFT, Moodle's plain-text question format: Question bank → Import → "GIFT format".

Each chapter starts with ``$CATEGORY:``; each question is ``::id::[html]text{answers####general
feedback}``, its texts HTML with math as ``\\(...\\)``. GIFT's special characters ``~ = # { } :``
are escaped with a backslash, newlines are written ``\\n``, and a backslash before an ``n``
(``\\nabla``) is written as the HTML entity ``&#92;`` so that GIFT cannot read it as a newline.
"""

from __future__ import annotations

from questions.html import latex, to_html
from questions.model import Question, Quiz
from questions.moodle import CATEGORY_ROOT, fraction, number

SPECIAL = "~=#{}:"


def escape(text: str) -> str:
    """``text`` safe inside GIFT: special characters and newlines escaped."""
    text = text.replace("\\n", "&#92;n")
    for char in SPECIAL:
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def _html(markdown: str, inline: bool = True) -> str:
    return escape(to_html(markdown, inline=inline))


def _feedback(text: str) -> str:
    return f"#{_html(text)}" if text else ""


def _choices(q: Question) -> list[str]:
    if q.type == "multichoice":
        return [
            f"{'=' if o.correct else '~'}{_html(o.text)}{_feedback(o.feedback)}" for o in q.options
        ]
    right = len(q.correct_options)
    wrong = len(q.options) - right
    shares = [100 / right if o.correct else -100 / wrong for o in q.options]
    return [
        f"~%{fraction(s)}%{_html(o.text)}{_feedback(o.feedback)}" for s, o in zip(shares, q.options)
    ]


def answers(q: Question) -> list[str]:
    """The answer part of a question, inside its braces, one entry per answer."""
    if q.type in ("multichoice", "multiselect"):
        return _choices(q)
    if q.type == "truefalse":
        wrong, right = (
            (q.feedback_false, q.feedback_true) if q.answer else (q.feedback_true, q.feedback_false)
        )
        return [f"{'T' if q.answer else 'F'}#{_html(wrong)}#{_html(right)}"]
    if q.type == "numerical":
        return [f"#{number(q.answer)}:{number(q.tolerance)}"]
    return [f"={escape(latex(a))}" for a in q.answers]


def question(q: Question) -> str:
    """One question in GIFT."""
    body = "\n    ".join(answers(q))
    text = _html(q.text, inline=False)
    return (
        f"::{escape(q.id)}::[html]{text}{{\n    {body}\n    ####{_html(q.explanation, False)}\n}}"
    )


def gift(quiz: Quiz) -> str:
    """The quiz as a GIFT file: a category line per section, a blank line between questions."""
    blocks = [f"// {quiz.title}: {len(quiz.questions)} questions (ITM528 question bank)"]
    for section in quiz.sections:
        blocks.append(f"$CATEGORY: {CATEGORY_ROOT}/{quiz.title}/{section.name}")
        blocks += [question(q) for q in section.questions]
    return "\n\n".join(blocks) + "\n"

"""Moodle XML: a ``<quiz>`` with one category per chapter, then that chapter's questions.

Question bank → Import → "Moodle XML format". Texts are HTML (``format="html"``) with math as
``\\(...\\)``; a question's explanation is its general feedback, each option's feedback its
answer's feedback. A multiselect question is a multichoice with ``<single>false</single>``: its
correct options share 100 %, its wrong options share -100 %, so that ticking everything scores 0.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from questions.html import latex, to_html
from questions.model import Question, Quiz

CATEGORY_ROOT = "$course$/top/ITM528"
GRADES = {round(100 / k, 5) for k in range(1, 11)} | {5.0}
"""The shares of the grade Moodle accepts for one answer (and their negatives)."""


def number(value: float) -> str:
    """A number as Moodle reads it, with no float noise: 650, 0.25, 1e-05."""
    return f"{value:.15g}"


def fraction(share: float) -> str:
    """A share of the grade in percent, as Moodle writes it (33.33333); ValueError unless
    Moodle accepts it."""
    share = round(share, 5)
    if abs(share) not in GRADES and share != 0:
        raise ValueError(f"Moodle accepts no answer worth {share} %")
    return f"{share:.5f}".rstrip("0").rstrip(".")


def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = "html") -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = value
    return element


def _plain(parent: ET.Element, tag: str, value: str) -> None:
    ET.SubElement(parent, tag).text = value


def _answer(
    parent: ET.Element, share: float, text: str, feedback: str, fmt: str = "html"
) -> ET.Element:
    answer = _text(parent, "answer", text, fmt)
    answer.set("fraction", fraction(share))
    _text(answer, "feedback", to_html(feedback, inline=True) if feedback else "")
    return answer


def _choices(element: ET.Element, q: Question) -> None:
    single = q.type == "multichoice"
    right = len(q.correct_options)
    wrong = len(q.options) - right
    _plain(element, "single", "true" if single else "false")
    _plain(element, "shuffleanswers", "1")
    _plain(element, "answernumbering", "abc")
    for option in q.options:
        share = 100 / right if option.correct else 0 if single else -100 / wrong
        _answer(element, share, to_html(option.text, inline=True), option.feedback)


def _body(element: ET.Element, q: Question) -> None:
    if q.type in ("multichoice", "multiselect"):
        _choices(element, q)
    elif q.type == "truefalse":
        _answer(element, 100 if q.answer else 0, "true", q.feedback_true, "moodle_auto_format")
        _answer(element, 0 if q.answer else 100, "false", q.feedback_false, "moodle_auto_format")
    elif q.type == "numerical":
        answer = _answer(element, 100, number(q.answer), "", "moodle_auto_format")
        tolerance = ET.Element("tolerance")
        tolerance.text = number(q.tolerance)
        answer.insert(1, tolerance)
        _plain(element, "showunits", "3")
    elif q.type == "shortanswer":
        _plain(element, "usecase", "0")
        for accepted in q.answers:
            _answer(element, 100, latex(accepted), "", "moodle_auto_format")


def question(q: Question) -> ET.Element:
    """One ``<question>`` element."""
    kind = "multichoice" if q.type == "multiselect" else q.type
    element = ET.Element("question", {"type": kind})
    _text(element, "name", q.id, None)
    _text(element, "questiontext", to_html(q.text))
    _text(element, "generalfeedback", to_html(q.explanation))
    _plain(element, "defaultgrade", "1")
    _plain(element, "penalty", "0.3333333")
    _plain(element, "hidden", "0")
    _plain(element, "idnumber", q.id)
    _body(element, q)
    return element


def category(path: str) -> ET.Element:
    """A ``<question type="category">`` that files the questions after it under ``path``."""
    element = ET.Element("question", {"type": "category"})
    _text(element, "category", f"{CATEGORY_ROOT}/{path}", None)
    return element


def moodle_xml(quiz: Quiz) -> bytes:
    """The quiz as a Moodle XML document (UTF-8, with its declaration)."""
    root = ET.Element("quiz")
    for section in quiz.sections:
        root.append(category(f"{quiz.title}/{section.name}".replace("//", "/")))
        root.extend(question(q) for q in section.questions)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)

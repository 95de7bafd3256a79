"""Reading the LMS exports back and comparing them with the bank, question by question: Moodle
XML with ElementTree, GIFT with ``tests.gift_reader``, a QTI zip through its manifest."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pytest

from questions import Question
from questions.html import latex, to_html
from questions.model import Quiz
from tests.gift_reader import read_gift

MOODLE_ELEMENTS = {"quiz", "question", "category", "text", "name", "questiontext",
                   "generalfeedback", "defaultgrade", "penalty", "hidden", "idnumber", "single",
                   "shuffleanswers", "answernumbering", "answer", "feedback", "tolerance",
                   "showunits", "usecase"}  # fmt: skip
"""Element names of Moodle's XML format (question/format/xml) that the export may use."""
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"


# Moodle XML


def check_moodle(data: bytes, quiz: Quiz) -> None:
    root = ET.fromstring(data)
    assert root.tag == "quiz"
    assert {e.tag for e in root.iter()} <= MOODLE_ELEMENTS
    categories = [e.findtext("category/text") for e in root if e.get("type") == "category"]
    assert categories == [f"$course$/top/ITM528/{quiz.title}/{s.name}" for s in quiz.sections]
    elements = [e for e in root if e.get("type") != "category"]
    assert [e.findtext("name/text") for e in elements] == [q.id for q in quiz.questions]
    for element, q in zip(elements, quiz.questions):
        check_moodle_question(element, q)


def check_moodle_question(element: ET.Element, q: Question) -> None:
    assert element.findtext("questiontext/text") == to_html(q.text)
    assert element.findtext("generalfeedback/text") == to_html(q.explanation)
    answers = [
        (float(a.get("fraction")), a.findtext("text"), a.findtext("feedback/text"))
        for a in element.findall("answer")
    ]
    if q.type in ("multichoice", "multiselect"):
        assert element.get("type") == "multichoice"
        assert element.findtext("single") == ("true" if q.type == "multichoice" else "false")
        assert [(t, f) for _, t, f in answers] == [
            (to_html(o.text, inline=True), to_html(o.feedback, inline=True)) for o in q.options
        ]
        assert [s > 0 for s, _, _ in answers] == [bool(o.correct) for o in q.options]
        assert sum(s for s, _, _ in answers if s > 0) == pytest.approx(100, abs=1e-3)
    elif q.type == "truefalse":
        right, wrong = (100.0, 0.0) if q.answer else (0.0, 100.0)
        assert answers == [
            (right, "true", to_html(q.feedback_true, inline=True)),
            (wrong, "false", to_html(q.feedback_false, inline=True)),
        ]
    elif q.type == "numerical":
        ((share, value, _),) = answers
        assert share == 100 and float(value) == q.answer
        assert float(element.findtext("answer/tolerance")) == q.tolerance
    else:
        assert answers == [(100.0, latex(a), "") for a in q.answers]


# GIFT


def check_gift(text: str, quiz: Quiz) -> None:
    categories, parsed = read_gift(text)
    assert categories == [f"$course$/top/ITM528/{quiz.title}/{s.name}" for s in quiz.sections]
    assert [p.id for p in parsed] == [q.id for q in quiz.questions]
    for p, q in zip(parsed, quiz.questions):
        assert (p.text, p.general) == (to_html(q.text), to_html(q.explanation))
        if q.type == "multichoice":
            assert p.answers == [
                (
                    "=" if o.correct else "~",
                    None,
                    to_html(o.text, inline=True),
                    to_html(o.feedback, inline=True),
                )
                for o in q.options
            ]
        elif q.type == "multiselect":
            assert [(t, f) for _, _, t, f in p.answers] == [
                (to_html(o.text, inline=True), to_html(o.feedback, inline=True)) for o in q.options
            ]
            weights = [w for _, w, _, _ in p.answers]
            assert [w > 0 for w in weights] == [bool(o.correct) for o in q.options]
            assert sum(w for w in weights if w > 0) == pytest.approx(100, abs=1e-3)
        elif q.type == "truefalse":
            wrong, right = (
                (q.feedback_false, q.feedback_true)
                if q.answer
                else (q.feedback_true, q.feedback_false)
            )
            assert p.truth is q.answer
            assert p.feedback == [to_html(wrong, inline=True), to_html(right, inline=True)]
        elif q.type == "numerical":
            assert p.number == (q.answer, q.tolerance)
        else:
            assert p.answers == [("=", None, latex(a), None) for a in q.answers]


# Canvas QTI


def check_qti(data: bytes, quiz: Quiz, per_section: bool) -> None:
    package = zipfile.ZipFile(io.BytesIO(data))
    manifest = ET.fromstring(package.read("imsmanifest.xml"))
    named = {f.get("href") for f in manifest.iter(f"{CP}file")}
    assert named == set(package.namelist()) - {"imsmanifest.xml"}
    assessments = sorted(n for n in named if not n.endswith("assessment_meta.xml"))
    assert len(assessments) == (len(quiz.sections) if per_section else 1)
    items = [i for n in assessments for i in ET.fromstring(package.read(n)).iter(f"{QTI}item")]
    by_id = {q.id: q for q in quiz.questions}
    assert sorted(i.get("ident") for i in items) == sorted(by_id)
    for item in items:
        check_qti_item(item, by_id[item.get("ident")])


def check_qti_item(item: ET.Element, q: Question) -> None:
    def find(path: str) -> list[ET.Element]:
        return item.findall(
            "/".join(f"{QTI}{p}" if p not in ("", ".") else p for p in path.split("/"))
        )

    kinds = {
        "multichoice": "multiple_choice_question",
        "multiselect": "multiple_answers_question",
        "truefalse": "true_false_question",
        "numerical": "numerical_question",
        "shortanswer": "short_answer_question",
    }
    fields = {
        f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry")
        for f in find(".//qtimetadatafield")
    }
    assert fields["question_type"] == kinds[q.type]
    assert find("presentation/material/mattext")[0].text == to_html(q.text)
    feedback = {f.get("ident"): f.findtext(f".//{QTI}mattext") for f in find("itemfeedback")}
    assert feedback.pop("general_fb") == to_html(q.explanation)
    scoring = [c for c in find("resprocessing/respcondition") if c.find(f"{QTI}setvar") is not None]
    assert len(scoring) == 1 and scoring[0].findtext(f"{QTI}setvar") == "100"
    condition = scoring[0].find(f"{QTI}conditionvar")
    labels = {r.get("ident"): r.findtext(f".//{QTI}mattext") for r in find(".//response_label")}
    if q.type in ("multichoice", "multiselect", "truefalse"):
        check_qti_choices(q, labels, feedback, condition)
    elif q.type == "numerical":
        exact = condition.findtext(f"{QTI}or/{QTI}varequal")
        low = condition.findtext(f".//{QTI}vargte")
        high = condition.findtext(f".//{QTI}varlte")
        assert float(exact) == q.answer
        assert (float(low), float(high)) == pytest.approx(
            (q.answer - q.tolerance, q.answer + q.tolerance), abs=1e-12
        )
    else:
        assert [v.text for v in condition.findall(f"{QTI}varequal")] == [
            latex(a) for a in q.answers
        ]


def check_qti_choices(q: Question, labels: dict, feedback: dict, condition: ET.Element) -> None:
    if q.type == "truefalse":
        expected = [
            ("True", q.answer is True, q.feedback_true),
            ("False", q.answer is False, q.feedback_false),
        ]
    else:
        expected = [(to_html(o.text, inline=True), bool(o.correct), o.feedback) for o in q.options]
    assert list(labels.values()) == [text for text, _, _ in expected]
    assert [feedback[f"{ident}_fb"] for ident in labels] == [to_html(f) for _, _, f in expected]
    wanted = {ident for ident, (_, right, _) in zip(labels, expected) if right}
    every = {v.text for v in condition.iter(f"{QTI}varequal")}
    refused = {v.text for n in condition.iter(f"{QTI}not") for v in n.iter(f"{QTI}varequal")}
    assert every - refused == wanted
    assert refused == (set(labels) - wanted if q.type == "multiselect" else set())

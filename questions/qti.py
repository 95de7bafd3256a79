"""Canvas QTI 1.2: a zip with ``imsmanifest.xml`` and one assessment per quiz.

Canvas: Settings → Import Course Content → "QTI .zip file" (classic quizzes). Each assessment is
``<ident>/<ident>.xml`` beside its ``assessment_meta.xml`` (Canvas's quiz settings), and the
manifest names both. Item types: multiple_choice_question, multiple_answers_question,
true_false_question, numerical_question (exact answer with a margin) and short_answer_question.
The explanation is the item's general feedback; each option's feedback is an ``itemfeedback``
shown for that choice.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence

from questions.html import latex, to_html
from questions.model import Question, Quiz
from questions.moodle import number

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
META_NS = "http://canvas.instructure.com/xsd/cccv1p0"
KINDS = {
    "multichoice": "multiple_choice_question",
    "multiselect": "multiple_answers_question",
    "truefalse": "true_false_question",
    "numerical": "numerical_question",
    "shortanswer": "short_answer_question",
}
ZIP_TIME = (2024, 1, 1, 0, 0, 0)  # a fixed time stamp: the same bank gives the same zip


def _sub(
    parent: ET.Element, tag: str, attrib: dict[str, str] | None = None, text: str | None = None
) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib or {})
    element.text = text
    return element


def _material(parent: ET.Element, html: str) -> None:
    _sub(_sub(parent, "material"), "mattext", {"texttype": "text/html"}, html)


def choices(q: Question) -> list[tuple[str, str, bool, str]]:
    """(ident, HTML text, correct, feedback) of each choice; true/false has two choices."""
    if q.type == "truefalse":
        return [
            (f"{q.id}-true", "True", q.answer is True, q.feedback_true),
            (f"{q.id}-false", "False", q.answer is False, q.feedback_false),
        ]
    return [
        (f"{q.id}-{i}", to_html(o.text, inline=True), bool(o.correct), o.feedback)
        for i, o in enumerate(q.options, 1)
    ]


def _metadata(item: ET.Element, q: Question) -> None:
    fields = _sub(_sub(item, "itemmetadata"), "qtimetadata")
    ids = (
        ",".join(c[0] for c in choices(q))
        if q.type in ("multichoice", "multiselect", "truefalse")
        else ""
    )
    for label, entry in (
        ("question_type", KINDS[q.type]),
        ("points_possible", "1"),
        ("original_answer_ids", ids),
    ):
        field = _sub(fields, "qtimetadatafield")
        _sub(field, "fieldlabel", text=label)
        _sub(field, "fieldentry", text=entry)


def _presentation(item: ET.Element, q: Question) -> None:
    presentation = _sub(item, "presentation")
    _material(presentation, to_html(q.text))
    if q.type in ("numerical", "shortanswer"):
        response = _sub(
            presentation, "response_str", {"ident": "response1", "rcardinality": "Single"}
        )
        fib = _sub(response, "render_fib", {"fibtype": "Decimal"} if q.type == "numerical" else {})
        _sub(fib, "response_label", {"ident": "answer1", "rshuffle": "No"})
        return
    cardinality = "Multiple" if q.type == "multiselect" else "Single"
    response = _sub(
        presentation, "response_lid", {"ident": "response1", "rcardinality": cardinality}
    )
    render = _sub(response, "render_choice")
    for ident, html, _, _ in choices(q):
        _material(_sub(render, "response_label", {"ident": ident}), html)


def _condition(
    processing: ET.Element, cont: str, feedback: str | None = None, score: bool = False
) -> ET.Element:
    condition = _sub(processing, "respcondition", {"continue": cont})
    variables = _sub(condition, "conditionvar")
    if score:
        _sub(condition, "setvar", {"action": "Set", "varname": "SCORE"}, "100")
    if feedback:
        _sub(condition, "displayfeedback", {"feedbacktype": "Response", "linkrefid": feedback})
    return variables


def _scoring(processing: ET.Element, q: Question) -> None:
    variables = _condition(processing, "No", score=True)
    if q.type == "numerical":
        low, high = q.answer - q.tolerance, q.answer + q.tolerance
        either = _sub(variables, "or")
        _sub(either, "varequal", {"respident": "response1"}, number(q.answer))
        both = _sub(either, "and")
        _sub(both, "vargte", {"respident": "response1"}, number(low))
        _sub(both, "varlte", {"respident": "response1"}, number(high))
    elif q.type == "shortanswer":
        for accepted in q.answers:
            _sub(variables, "varequal", {"respident": "response1"}, latex(accepted))
    elif q.type == "multiselect":
        every = _sub(variables, "and")
        for ident, _, correct, _ in choices(q):
            parent = every if correct else _sub(every, "not")
            _sub(parent, "varequal", {"respident": "response1"}, ident)
    else:
        right = next(c[0] for c in choices(q) if c[2])
        _sub(variables, "varequal", {"respident": "response1"}, right)


def _processing(item: ET.Element, q: Question) -> None:
    processing = _sub(item, "resprocessing")
    _sub(
        _sub(processing, "outcomes"),
        "decvar",
        {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"},
    )
    _sub(_condition(processing, "Yes", "general_fb"), "other")
    if q.type in ("multichoice", "multiselect", "truefalse"):
        for ident, _, _, _ in choices(q):
            _sub(
                _condition(processing, "Yes", f"{ident}_fb"),
                "varequal",
                {"respident": "response1"},
                ident,
            )
    _scoring(processing, q)


def _feedback(item: ET.Element, ident: str, markdown: str) -> None:
    flow = _sub(_sub(item, "itemfeedback", {"ident": ident}), "flow_mat")
    _material(flow, to_html(markdown))


def item(q: Question) -> ET.Element:
    """One ``<item>``: metadata, the question, its scoring, its feedback."""
    element = ET.Element("item", {"ident": q.id, "title": q.id})
    _metadata(element, q)
    _presentation(element, q)
    _processing(element, q)
    _feedback(element, "general_fb", q.explanation)
    if q.type in ("multichoice", "multiselect", "truefalse"):
        for ident, _, _, feedback in choices(q):
            _feedback(element, f"{ident}_fb", feedback)
    return element


def assessment(ident: str, title: str, questions: Sequence[Question]) -> bytes:
    """One quiz as a QTI assessment document."""
    root = ET.Element("questestinterop", {"xmlns": QTI_NS})
    quiz = _sub(root, "assessment", {"ident": ident, "title": title})
    section = _sub(quiz, "section", {"ident": "root_section"})
    section.extend(item(q) for q in questions)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def meta(ident: str, title: str, count: int) -> bytes:
    """Canvas's settings for the quiz: a practice quiz, answers shuffled, one point a question."""
    root = ET.Element("quiz", {"identifier": ident, "xmlns": META_NS})
    for tag, value in (
        ("title", title),
        ("quiz_type", "practice_quiz"),
        ("points_possible", str(count)),
        ("shuffle_answers", "true"),
        ("show_correct_answers", "true"),
    ):
        _sub(root, tag, text=value)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def manifest(name: str, quizzes: Sequence[tuple[str, str]]) -> bytes:
    """The package manifest: for each (ident, title) quiz, its assessment and its settings."""
    root = ET.Element("manifest", {"identifier": f"{name}-manifest", "xmlns": CP_NS})
    _sub(_sub(root, "metadata"), "schema", text="IMS Content")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    for ident, _ in quizzes:
        quiz = _sub(resources, "resource", {"identifier": ident, "type": "imsqti_xmlv1p2"})
        _sub(quiz, "file", {"href": f"{ident}/{ident}.xml"})
        _sub(quiz, "dependency", {"identifierref": f"{ident}-meta"})
        settings = _sub(
            resources,
            "resource",
            {
                "identifier": f"{ident}-meta",
                "href": f"{ident}/assessment_meta.xml",
                "type": "associatedcontent/imscc_xmlv1p1/learning-application-resource",
            },
        )
        _sub(settings, "file", {"href": f"{ident}/assessment_meta.xml"})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def quizzes(quiz: Quiz, per_section: bool) -> list[tuple[str, str, list[Question]]]:
    """(ident, title, questions) of each Canvas quiz: one per section, or the whole quiz."""
    if not per_section:
        return [(quiz.name, quiz.title, quiz.questions)]
    return [
        (f"{quiz.name}-{s.name.split()[0]}", f"{quiz.title}: {s.name}", list(s.questions))
        for s in quiz.sections
    ]


def qti_zip(quiz: Quiz, per_section: bool = False) -> bytes:
    """The QTI package of ``quiz``: one Canvas quiz, or one per section with ``per_section``."""
    parts = quizzes(quiz, per_section)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:

        def put(name: str, data: bytes) -> None:
            package.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)

        put("imsmanifest.xml", manifest(quiz.name, [(i, t) for i, t, _ in parts]))
        for ident, title, questions in parts:
            put(f"{ident}/{ident}.xml", assessment(ident, title, questions))
            put(f"{ident}/assessment_meta.xml", meta(ident, title, len(questions)))
    return buffer.getvalue()

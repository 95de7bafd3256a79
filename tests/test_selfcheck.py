"""The self-check of ``utils.selfcheck``: its HTML, its text forms, and its answers in Chromium.

The browser tests render quizzes into a page of their own in ``tmp_path`` and open it with
``file://`` (no book build needed), with the vendored MathJax, so that every question of the bank
is also typeset once; they skip without Chromium (the ``browser`` fixture of conftest.py). The
last test reads the built chapter page where ``make book`` has made one.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from export.conventions import BADGE_IMAGE
from export.studyaids import quiz_data
from questions import load_bank
from tests.conftest import watch
from tests.test_browser import BADGE_SVG
from utils import selfcheck

ROOT = Path(__file__).resolve().parent.parent
MATHJAX = ROOT / "_vendor" / "mathjax" / "tex-mml-chtml.js"
BUILT_CHAPTER = ROOT / "_build" / "html" / "book" / "01_introduction.html"

SAMPLE = {
    "title": "Made up <b>chapter</b>",
    "questions": [
        {"id": "q-choice", "type": "multichoice", "text": "Slope of ReLU at $x = 2$? <script>",
         "options": [{"text": "1", "correct": True, "feedback": "Identity for x > 0."},
                     {"text": "0", "correct": False, "feedback": "The slope for x < 0."},
                     {"text": "`a < b`", "correct": False, "feedback": "Not a slope."}],
         "explanation": "ReLU has slope 1 for positive inputs."},
        {"id": "q-number", "type": "numerical", "text": "Parameters of `nn.Linear(64, 10)`?",
         "answer": 650, "tolerance": 0, "explanation": "640 weights and 10 biases."},
        {"id": "q-many", "type": "multiselect", "text": "Which are activations?",
         "options": [{"text": "ReLU", "correct": True, "feedback": "Yes, elementwise."},
                     {"text": "tanh", "correct": True, "feedback": "Yes, squashing."},
                     {"text": "Adam", "correct": False, "feedback": "An optimiser."}],
         "explanation": "Both apply a function to each unit."},
        {"id": "q-tf", "type": "truefalse", "text": "Dropout is active in `eval()` mode.",
         "answer": False, "feedback_true": "It is switched off.", "feedback_false": "Right.",
         "explanation": "`eval()` turns dropout off."},
        {"id": "q-word", "type": "shortanswer", "text": "The rule that computes gradients?",
         "answers": ["backpropagation", "backprop"], "explanation": "The chain rule, backwards."},
    ],
}  # fmt: skip


class _Ids(HTMLParser):
    """Collects the id attributes and the script bodies of a piece of HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]
        self._in_script = tag == "script"

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)
            self._in_script = False


def parsed(html: str) -> _Ids:
    parser = _Ids()
    parser.feed(html)
    return parser


# The widget's forms ----------------------------------------------------------------------------


def test_question_and_title_text_is_escaped_and_math_goes_to_mathjax():
    html = selfcheck.quiz(SAMPLE)._repr_html_()
    assert "<script>" not in html.replace("<script>(() =>", "")  # only the widget's own script
    assert "&lt;script&gt;" in html and "Made up &lt;b&gt;chapter&lt;/b&gt;" in html
    assert r"\(x = 2\)" in html and "$x" not in html
    assert "<code>a &lt; b</code>" in html


def test_markdown_subset():
    assert selfcheck.inline("a **b** *c* `d*e*` $f_1 * g$") == (
        r"a <strong>b</strong> <em>c</em> <code>d*e*</code> \(f_1 * g\)"
    )
    html = selfcheck.markdown("Text:\n\n```python\nx = 1 < 2\n```\n\n- one\n- two")
    assert html == (
        "<p>Text:</p>\n<pre><code>x = 1 &lt; 2</code></pre>\n<ul><li>one</li><li>two</li></ul>"
    )
    assert selfcheck.inline("costs \\$5 and [docs](https://pytorch.org)") == (
        'costs $5 and <a href="https://pytorch.org">docs</a>'
    )
    assert "href" not in selfcheck.inline("[x](javascript:alert(1))")


def test_every_id_is_unique_on_a_page_with_two_quizzes():
    first, second = selfcheck.quiz(SAMPLE), selfcheck.quiz(json.dumps(SAMPLE))
    assert first.ident != second.ident
    page = parsed(first._repr_html_() + second._repr_html_())
    assert len(page.ids) == len(set(page.ids)) == 2 * (1 + len(SAMPLE["questions"]))
    names = re.findall(r'name="([^"]+)"', first._repr_html_())
    assert all(name.startswith(first.ident) for name in names)
    assert first.ident in page.scripts[0] and second.ident in page.scripts[1]


def test_plain_text_holds_every_question_and_the_answers_at_the_end():
    text = repr(selfcheck.quiz(SAMPLE))
    questions, answers = text.split("\nAnswers\n")
    for n, q in enumerate(SAMPLE["questions"], 1):
        assert f"{n}. {q['text']}" in questions
        assert q["explanation"] in answers
    assert "1. a) 1." in answers and "2. 650." in answers and "3. a) ReLU; b) tanh." in answers
    assert "4. b) False." in answers and "5. backpropagation / backprop." in answers


def test_markdown_form_lists_the_questions_without_answers():
    text = selfcheck.quiz(SAMPLE)._repr_markdown_()
    assert all(q["text"] in text for q in SAMPLE["questions"])
    assert "650" not in text and "explanation" not in text.lower()
    assert all(q["explanation"] not in text for q in SAMPLE["questions"])


def test_a_quiz_needs_questions_of_known_types():
    with pytest.raises(ValueError, match="essay"):
        selfcheck.quiz({"title": "x", "questions": [{"id": "q", "type": "essay", "text": "?"}]})
    with pytest.raises(ValueError):
        selfcheck.quiz({"title": "x", "questions": []})


# In Chromium -----------------------------------------------------------------------------------


def page_file(tmp_path: Path, *quizzes: object) -> Path:
    """A page of its own with the quizzes and the vendored MathJax, as the book loads it."""
    body = "\n".join(q._repr_html_() for q in quizzes)
    config = '{"options": {"processHtmlClass": "tex2jax_process|mathjax_process|math"}}'
    path = tmp_path / "quiz.html"
    path.write_text(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>quiz</title>'
        f'<link rel="icon" href="data:,"><script>window.MathJax = {config};</script>'
        f'<script defer src="{MATHJAX.as_uri()}"></script></head><body>{body}</body></html>',
        encoding="utf-8",
    )
    return path


# Text that MathJax left as it was: math it could not even find (unbalanced braces, say).
RAW_TEX = r"""() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const raw = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const skip = node.parentElement.closest("script, style, code, pre, mjx-container");
    if (!skip && /\\[(\[]/.test(node.textContent)) raw.push(node.textContent.slice(0, 80));
  }
  return raw;
}"""


def open_file(browser, path: Path):
    page = browser.new_page()
    problems = watch(page)

    def route(r) -> None:  # offline: local files only, and a stand-in for the Colab badge
        if r.request.url == BADGE_IMAGE:
            r.fulfill(status=200, content_type="image/svg+xml", body=BADGE_SVG)
        elif r.request.url.startswith("file://"):
            r.continue_()
        else:
            problems.append(f"external request: {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("() => window.MathJax?.startup?.promise", timeout=20_000)
    page.evaluate("() => MathJax.startup.promise.then(() => true)")
    return page, problems


def check(page, ident: str, number: int) -> dict:
    """Press Check on question ``number``; what is shown afterwards."""
    q = page.locator(f"#{ident}-q{number}")
    q.locator(".sc-check").click()
    shown = q.locator(".sc-feedback:visible").all_inner_texts()
    return {
        "verdict": q.locator(".sc-verdict").inner_text(),
        "feedback": shown,
        "explanation": q.locator(".sc-explanation").is_visible(),
    }


def choose(page, ident: str, number: int, *letters: str) -> None:
    for box in page.locator(f"#{ident}-q{number} input").all():
        if box.get_attribute("type") == "checkbox" and box.is_checked():
            box.uncheck()
    for letter in letters:
        page.locator(f"#{ident}-q{number} input[value='{'abcdef'.index(letter)}']").check()


@pytest.mark.browser
def test_right_and_wrong_answers_get_their_feedback_and_no_console_error(browser, tmp_path):
    quiz, other = selfcheck.quiz(SAMPLE), selfcheck.quiz(SAMPLE)
    page, problems = open_file(browser, page_file(tmp_path, quiz, other))
    a = quiz.ident
    assert not page.locator(f"#{a} .sc-key").is_visible(), "the answers show before any check"
    assert check(page, a, 1)["verdict"] == "Choose or type an answer first."
    choose(page, a, 1, "b")
    assert check(page, a, 1) == {
        "verdict": "Not quite.", "feedback": ["b) The slope for x < 0."], "explanation": True
    }  # fmt: skip
    choose(page, a, 1, "a")
    assert check(page, a, 1)["verdict"] == "Right."
    assert page.locator(f"#{a}-q1 .sc-feedback:visible").all_inner_texts() == [
        "a) Identity for x > 0."
    ]
    page.fill(f"#{a}-q2 input", "640")
    assert check(page, a, 2)["verdict"] == "Not quite."
    page.fill(f"#{a}-q2 input", " 650 ")
    assert check(page, a, 2)["verdict"] == "Right."
    choose(page, a, 3, "a")
    assert check(page, a, 3)["verdict"] == "Not quite."  # one of two right options missing
    choose(page, a, 3, "a", "b")
    result = check(page, a, 3)
    assert result["verdict"] == "Right." and len(result["feedback"]) == 2
    choose(page, a, 4, "a")
    assert check(page, a, 4)["feedback"] == ["a) It is switched off."]
    page.fill(f"#{a}-q5 input", "BackProp")
    page.press(f"#{a}-q5 input", "Enter")
    assert page.locator(f"#{a}-q5 .sc-verdict").inner_text() == "Right."
    # the second quiz on the page was not touched
    assert page.locator(f"#{other.ident} .sc-verdict:visible").count() == 0
    assert page.locator(f"#{other.ident} input:checked").count() == 0
    page.close()
    assert not problems, problems


class _Prose:
    """The bank's other prose (exercise answers, glossary, equations) as HTML for MathJax."""

    def __init__(self, chapters) -> None:
        self.chapters = chapters

    def _repr_html_(self) -> str:
        parts = [
            selfcheck.markdown(text)
            for c in self.chapters
            for text in [
                *(e.answer for e in c.exercises),
                *(g.definition for g in c.glossary),
                *(f"$${eq.latex}$$" for eq in c.equations),
            ]
        ]
        return '<div class="tex2jax_process">' + "\n".join(parts) + "</div>"


@pytest.mark.browser
def test_without_javascript_the_page_shows_the_answers_after_the_questions(browser, tmp_path):
    quiz = selfcheck.quiz(SAMPLE)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(page_file(tmp_path, quiz).as_uri(), wait_until="load")
    key = page.locator(f"#{quiz.ident} .sc-key")
    shown = key.is_visible() and "650" in key.inner_text()
    questions = page.locator(f"#{quiz.ident} .sc-q").count()
    context.close()
    assert shown and questions == len(SAMPLE["questions"])


@pytest.mark.browser
def test_every_chapter_of_the_bank_renders_and_typesets_without_errors(browser, tmp_path):
    chapters = load_bank().chapters
    quizzes = [selfcheck.quiz(quiz_data(c)) for c in chapters]
    page, problems = open_file(browser, page_file(tmp_path, *quizzes, _Prose(chapters)))
    errors = page.locator("mjx-merror").evaluate_all("els => els.map(e => e.textContent)")
    errors += page.evaluate(RAW_TEX)
    count = page.locator(".sc-q").count()
    formulas = page.locator("mjx-container").count()
    page.close()
    assert count == sum(len(c.questions) for c in chapters)
    assert formulas > count, "the bank's math was not typeset"
    assert not errors, f"TeX errors in the bank: {errors}"
    assert not problems, problems


@pytest.mark.book
def test_the_built_chapter_holds_its_self_check():
    if not BUILT_CHAPTER.exists():
        pytest.skip(f"{BUILT_CHAPTER} is not built (make book)")
    html = BUILT_CHAPTER.read_text(encoding="utf-8")
    chapter = load_bank().chapter("01_introduction")
    assert html.count('class="selfcheck ') == 1, "no self-check on the page: run `make book`"
    assert html.count('class="sc-q"') == len(chapter.questions)
    assert 'class="exercise-answers"' in html, "the answers to the exercises are not on the page"
    assert "SELF_CHECK" not in html, "the self-check cell's code is shown (remove-input)"


@pytest.mark.book
@pytest.mark.browser
def test_on_the_built_chapter_page_answers_get_feedback_and_no_console_error(browser):
    """The self-check inside the built book's page (its MathJax, its scripts), when built."""
    if not BUILT_CHAPTER.exists() or "sc-check" not in BUILT_CHAPTER.read_text(encoding="utf-8"):
        pytest.skip(f"{BUILT_CHAPTER} has no self-check yet (make book)")
    page, problems = open_file(browser, BUILT_CHAPTER)
    ident = page.locator(".selfcheck").get_attribute("id")
    choice = page.locator(f"#{ident} .sc-q:has(input[type=radio])").first
    number = int(choice.get_attribute("id").rsplit("-q", 1)[1])
    right = choice.locator("input[data-correct='1']").first.get_attribute("value")
    wrong = choice.locator("input[data-correct='0']").first.get_attribute("value")
    choose(page, ident, number, "abcdefghij"[int(wrong)])
    result = check(page, ident, number)
    assert result["verdict"] == "Not quite." and result["explanation"]
    assert len(result["feedback"]) == 1 and result["feedback"][0].strip()
    choose(page, ident, number, "abcdefghij"[int(right)])
    assert check(page, ident, number)["verdict"] == "Right."
    typeset = page.locator(f"#{ident} mjx-container").count()
    page.close()
    assert not problems, problems
    assert typeset > 0, "the book's MathJax did not typeset the self-check"

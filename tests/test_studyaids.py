"""The question bank in the book: the generated chapter cells, the study pages, slides and PDF.

The committed notebooks and pages must be what ``python -m export.studyaids sync`` makes from the
bank now; these tests say which file differs. None of them needs a book build.
"""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

from export import ROOT, colab, printbook, slides, studyaids, studypages
from questions import load_bank
from utils import selfcheck

SYNC = f"run `{studyaids.COMMAND}`"
BANK = load_bank()
CHAPTERS = studyaids.chapter_notebooks()
IDS = [p.stem for p in CHAPTERS]
VIEWS = pytest.mark.skipif(
    any(colab.is_view(ROOT / p) for p in studyaids.chapter_notebooks()),
    reason="the chapters are Colab views (the public copy): the instructor's repository checks "
    "their sources against the bank",
)


def read(path):
    return nbformat.read(ROOT / path, as_version=4)


def chapter_of(path):
    stems = {c.chapter for c in BANK.chapters}
    return BANK.chapter(path.stem) if path.stem in stems else None


@VIEWS
@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_generated_cells_match_the_bank(path):
    nb = read(path)
    expected = studyaids.apply(read(path), chapter_of(path))
    assert nbformat.writes(nb) == nbformat.writes(expected), f"{path} differs from the bank: {SYNC}"


@VIEWS
@pytest.mark.parametrize("path", CHAPTERS, ids=IDS)
def test_answers_follow_the_exercises_and_the_self_check_ends_the_chapter(path):
    chapter = chapter_of(path)
    if chapter is None:
        pytest.skip(f"{path.stem} has no file in book/questions/ yet")
    cells = read(path).cells
    kinds = [c.metadata.get(studyaids.KEY) for c in cells]
    assert kinds[-2:] == ["heading", "quiz"]
    answers = kinds.index("answers")
    assert "## Exercises" in cells[answers - 1].source.splitlines()
    assert cells[answers].source.count("**Exercise ") == len(chapter.exercises) > 0
    quiz = cells[-1]
    assert quiz.metadata["tags"] == ["remove-input"] and quiz.metadata["cellView"] == "form"
    assert quiz.source.startswith("# @title Self-check") and not quiz.outputs
    data = json.loads(quiz.source.split('r"""', 1)[1].rsplit('"""', 1)[0])
    assert [q["id"] for q in data["questions"]] == [q.id for q in chapter.questions]
    compile(quiz.source, str(path), "exec")
    shown = repr(selfcheck.quiz(data))  # the plain-text form holds every question
    assert all(q.text.split()[0] in shown for q in chapter.questions)


@VIEWS
def test_glossary_links_of_the_chapters_lead_to_headings_of_the_glossary():
    page = (ROOT / studypages.FOLDER / "glossary.md").read_text(encoding="utf-8")
    anchors = {studypages.slug(h) for h in re.findall(r"^### (.+)$", page, re.M)}
    links = [
        anchor
        for path in CHAPTERS
        for cell in read(path).cells
        if cell.metadata.get(studyaids.KEY) == "heading"
        for anchor in re.findall(r"\(study/glossary\.md#([^)]+)\)", cell.source)
    ]
    assert links, "no chapter links its terms to the glossary"
    assert set(links) <= anchors, f"links without a glossary entry: {set(links) - anchors}"
    terms = [e.term for c in BANK.chapters for e in c.glossary]
    assert len(anchors) == len({studypages.slug(t) for t in terms})


def test_study_pages_match_the_bank_and_are_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = {c["file"] for part in toc["parts"] for c in part["chapters"]}
    for path, text in studypages.pages(BANK).items():
        committed = ROOT / path
        assert committed.exists() and committed.read_text(encoding="utf-8") == text, (
            f"{path} differs from the bank: {SYNC}"
        )
        assert path.with_suffix("").as_posix() in files, f"{path} is not in _toc.yml"


@pytest.mark.parametrize("name", list(studypages.PRACTICE_EXAMS))
def test_practice_exam_page_has_its_questions_and_a_collapsed_key(name):
    if gap := studypages.exam_gap(name, BANK):
        pytest.skip(f"not drawn yet: {gap}")
    text = studypages.exam(name, BANK)
    questions, key = text.split("## Answer key")
    size = studypages.PRACTICE_EXAMS[name].size
    assert re.findall(r"^\*\*(\d+)\.\*\* \*\(", questions, re.M) == [
        str(n + 1) for n in range(size)
    ]
    assert key.count("\n**") == size and '<details class="exam-answers">' in key
    assert text == studypages.exam(name, BANK), "the same bank must give the same exam"


@VIEWS
def test_sync_twice_changes_nothing_and_leaves_the_other_cells_alone(tmp_path):
    for path in CHAPTERS:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
        nb = nbformat.read(tmp_path / path, as_version=4)
        nb.cells = [c for c in nb.cells if studyaids.KEY not in c.metadata]  # as before any sync
        nbformat.write(nb, tmp_path / path)
    first = studyaids.sync(tmp_path, BANK)
    assert studyaids.sync(tmp_path, BANK) == []
    for path in CHAPTERS:
        ours = [c for c in read(path).cells if studyaids.KEY not in c.metadata]
        synced = nbformat.read(tmp_path / path, as_version=4).cells
        assert [c for c in synced if studyaids.KEY not in c.metadata] == ours
    assert {p for p in first if p.suffix == ".ipynb"} == {
        p for p in CHAPTERS if chapter_of(p) is not None
    }


def test_slides_show_the_questions_without_the_answers():
    chapter = BANK.chapters[0]
    quiz = selfcheck.quiz(studyaids.quiz_data(chapter))
    cell = nbformat.v4.new_code_cell("quiz", metadata={"tags": ["remove-input"]})
    bundle = {"text/plain": repr(quiz), "text/html": quiz._repr_html_()}
    bundle["text/markdown"] = quiz._repr_markdown_()
    cell.outputs = [nbformat.v4.new_output("display_data", data=bundle)]
    title = nbformat.v4.new_markdown_cell("# Chapter 9: Made up")
    heading = nbformat.v4.new_markdown_cell("## Self-check\n\nAnswer each question.")
    nb = nbformat.v4.new_notebook(cells=[title, nbformat.v4.new_code_cell("x = 1"), heading, cell])
    deck = slides.build(nb, lambda data: "unused.png")
    shown = "".join(item.html for s in deck[1:] for item in s.items)
    assert {s.title for s in deck[1:]} == {"Self-check"}
    assert shown.count("<li>") == len(chapter.questions)
    assert "Answers" not in shown and "<script" not in shown
    assert all(q.explanation[:40] not in shown for q in chapter.questions)


def test_the_printed_chapter_has_the_questions_and_its_answers_at_the_end():
    quiz = selfcheck.quiz({"title": "T", "questions": [{
        "id": "q", "type": "numerical", "text": "How many?", "answer": 3, "explanation": "Three.",
    }]})  # fmt: skip
    html = (
        '<article class="bd-article"><section><h2>Exercises</h2>'
        '<details class="exercise-answers"><summary>Answers to the exercises</summary>'
        "<p>Exercise answer.</p></details><h2>Self-check</h2>"
        f'<div class="cell_output">{quiz._repr_html_()}</div><p>Last words.</p></section></article>'
    )
    article = BeautifulSoup(html, "html.parser").article
    printed = printbook._clean(article, printbook.Part("book/09_x.html"), {}, "../html")
    tail = list(printed.children)[-2:]
    assert [t.name for t in tail] == ["details", "div"] and tail[0].has_attr("open")
    assert "sc-key" in tail[1]["class"] and not tail[1].has_attr("hidden")
    assert "How many?" in printed.text and "Three." in tail[1].text
    assert not printed.select("script, button, .sc-feedback, .sc-explanation")


def quiz_notebook(chapter) -> nbformat.NotebookNode:
    """A chapter cut down to its title and its self-check, with the outputs the quiz makes."""
    _, end = studyaids.generated_cells(chapter)
    quiz = selfcheck.quiz(studyaids.quiz_data(chapter))
    bundle = {"text/plain": repr(quiz), "text/html": quiz._repr_html_()}
    bundle["text/markdown"] = quiz._repr_markdown_()
    end[-1].outputs = [nbformat.v4.new_output("execute_result", data=bundle, execution_count=1)]
    title = nbformat.v4.new_markdown_cell(f"# {chapter.title}")
    return nbformat.v4.new_notebook(cells=[title, nbformat.v4.new_code_cell("x = 1"), *end])


@pytest.mark.browser
def test_self_check_slides_of_every_chapter_fit_and_typeset(browser, tmp_path):
    from export import deck
    from tests.test_slides import MEASURE

    deck.copy_static(tmp_path)
    sections = []
    for chapter in BANK.chapters:
        built = slides.build(quiz_notebook(chapter), lambda data: "unused.png")
        sections += [deck._section(s) for s in built[1:]]
    (tmp_path / "quiz.html").write_text(deck.page("Self-checks", sections), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.goto((tmp_path / "quiz.html").as_uri(), wait_until="load")
    page.wait_for_function("() => window.MathJax?.startup?.promise && window.Reveal?.isReady()")
    result = page.evaluate(MEASURE)
    page.close()
    over = [s for s in result["slides"] if s["width"] > 1280.5 or s["height"] > 720.5]
    assert not over, f"self-check slides whose content overflows 1280x720: {over}"
    assert result["errors"] == 0 and not problems, problems
    print(f"{len(result['slides'])} self-check slides for {len(BANK.chapters)} chapters")


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.parametrize("path", list(studypages.pages(BANK)), ids=lambda p: p.stem)
def test_built_study_page_loads_and_typesets_without_errors(browser, path):
    from tests.test_book import HTML
    from tests.test_selfcheck import RAW_TEX, open_file

    built = HTML / path.with_suffix(".html")
    if not built.exists():
        pytest.fail(f"{built} is missing: run `make book`")
    page, problems = open_file(browser, built)
    errors = page.locator("mjx-merror").count()
    raw = page.evaluate(RAW_TEX)
    typeset = page.locator("mjx-container").count()
    page.close()
    assert not problems and not errors and not raw, (problems, errors, raw)
    assert typeset > 0 or path.stem == "glossary", f"{path}: no math typeset"


def test_self_check_texts_use_no_myst_roles():
    """The self-check renders its own Markdown (in Colab too): a ``{cite:p}`` would show raw."""
    role = re.compile(r"\{[a-z:-]+\}`")
    found = [
        q.id
        for q in BANK.questions
        for text in (q.text, q.explanation, q.feedback_true, q.feedback_false, *q.answers)
        + tuple(t for o in q.options for t in (o.text, o.feedback))
        if role.search(text)
    ]
    assert not found, f"questions with MyST roles: {found}"

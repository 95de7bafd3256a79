"""Glossary terms are linked from the chapter prose that mentions them, never inside code, math,
links, roles or headings, and the sync that links them changes nothing the second time."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from export import ROOT, colab, glossary_links, studyaids
from questions import Chapter, load_bank
from questions.model import parse_chapter

BANK = load_bank()
VIEWS = pytest.mark.skipif(
    any(colab.is_view(ROOT / p) for p in studyaids.chapter_notebooks()),
    reason="the chapters are Colab views (the public copy): the instructor's repository checks "
    "their sources against the bank",
)


def chapter_with(*terms: str) -> Chapter:
    return parse_chapter(
        {
            "chapter": "99_test",
            "title": "Test",
            "glossary": [{"term": t, "definition": "d"} for t in terms],
        },
        Path("book/questions/99_test.yml"),
    )


def notebook(*sources: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in sources])


@VIEWS
@pytest.mark.parametrize("chapter", BANK.chapters, ids=lambda c: c.chapter)
def test_every_term_the_prose_mentions_is_linked(chapter):
    nb = nbformat.read(f"book/{chapter.chapter}.ipynb", as_version=4)
    assert glossary_links.unlinked(nb, chapter, studyaids.KEY) == []


def test_the_bold_definition_wins_over_an_earlier_plain_mention():
    nb = notebook("A dropout layer comes later.", "**Dropout** zeroes units.")
    assert glossary_links.link_terms(nb, chapter_with("dropout"), studyaids.KEY)
    assert nb.cells[0].source == "A dropout layer comes later."
    assert nb.cells[1].source == "[**Dropout**](study/glossary.md#dropout) zeroes units."


def test_code_math_links_roles_and_headings_are_left_alone():
    protected = (
        "# Dropout\n`dropout(x)` and $dropout$ and [dropout](x.md) and {cite:p}`dropout2014` "
        "and https://example.org/dropout"
    )
    nb = notebook(protected, "Then dropout, in prose.")
    glossary_links.link_terms(nb, chapter_with("dropout"), studyaids.KEY)
    assert nb.cells[0].source == protected
    assert nb.cells[1].source == "Then [dropout](study/glossary.md#dropout), in prose."


def test_a_second_sync_changes_nothing():
    nb = notebook("The softmax turns scores into probabilities; the softmax again.")
    chapter = chapter_with("softmax")
    assert glossary_links.link_terms(nb, chapter, studyaids.KEY)
    once = nb.cells[0].source
    assert not glossary_links.link_terms(nb, chapter, studyaids.KEY)
    assert nb.cells[0].source == once and once.count("](study/glossary.md#softmax)") == 1

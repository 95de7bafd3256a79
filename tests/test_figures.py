"""The book's schematic diagrams (``book/figures/*.svg``, drawn by ``book/figures/draw.py``).

Every diagram is used by a chapter, every image a chapter uses exists and has alt text, the SVG
files are what the script draws, and the built book shows each one on its chapter's page.
"""

from __future__ import annotations

import importlib.util
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import nbformat
import pytest

from export import SLIDES, colab
from export import conventions as conv

FIGURES = conv.ROOT / "book" / "figures"
HTML = conv.ROOT / "_build" / "html"
IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?:\S*/book/)?(?P<src>figures/[^)\s]+)\)")
"""A markdown image of the figures folder: ![alt](figures/name.svg), or in the public copy's Colab
views the same file at the release's raw URL (``https://…/<tag>/book/figures/name.svg``)."""


def used() -> dict[str, list[tuple[str, str]]]:
    """Chapter name -> the (alt, src) of each figure its markdown cells show."""
    return {
        path.stem: [
            (m["alt"], m["src"])
            for cell in nbformat.read(path, as_version=4).cells
            if cell.cell_type == "markdown"
            for m in IMAGE.finditer(cell.source)
        ]
        for path in conv.chapters()
    }


VIEWS = pytest.mark.skipif(
    any(colab.is_view(path) for path in conv.chapters()),
    reason="the chapters are Colab views (the public copy), whose figures are the release's raw "
    "URLs: the instructor's repository checks the built book and decks",
)


def test_the_book_has_at_least_eight_diagrams():
    svgs = sorted(FIGURES.glob("*.svg"))
    assert len(svgs) >= 8, f"only {len(svgs)} diagrams in {FIGURES}"


def test_every_diagram_is_used_and_every_used_figure_exists_with_alt_text():
    images = [image for chapter in used().values() for image in chapter]
    sources = {src for _, src in images}
    unused = [p.name for p in FIGURES.glob("*.svg") if f"figures/{p.name}" not in sources]
    assert not unused, f"diagrams no chapter shows: {unused}"
    for alt, src in images:
        assert (conv.ROOT / "book" / src).is_file(), f"{src} is shown but does not exist"
        assert len(alt.split()) >= 8, f"{src}: the alt text should describe the diagram: {alt!r}"


def test_diagrams_are_valid_svg_with_text_kept_as_text():
    for path in FIGURES.glob("*.svg"):
        root = ET.parse(path).getroot()
        assert root.tag.endswith("svg") and root.get("viewBox"), f"{path.name}: no SVG viewBox"
        texts = [e for e in root.iter() if e.tag.endswith("text")]
        assert texts, f"{path.name}: the labels should be text, searchable and sharp in print"


def test_the_svg_files_are_what_draw_py_draws(tmp_path):
    spec = importlib.util.spec_from_file_location("draw", FIGURES / "draw.py")
    draw = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(draw)
    draw.OUT = tmp_path
    for diagram in draw.DIAGRAMS:
        diagram()
    drawn = {p.name for p in tmp_path.glob("*.svg")}
    assert drawn == {p.name for p in FIGURES.glob("*.svg")}, "draw.py and book/figures disagree"
    stale = [n for n in drawn if (tmp_path / n).read_bytes() != (FIGURES / n).read_bytes()]
    assert not stale, f"run `python book/figures/draw.py`: out of date: {stale}"


class Images(HTMLParser):
    """(src, alt) of every <img> of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.images: list[tuple[str, str]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            attrs = dict(attrs)
            self.images.append((attrs.get("src", ""), attrs.get("alt", "")))


@VIEWS
@pytest.mark.book
@pytest.mark.parametrize("chapter", sorted(c for c, images in used().items() if images))
def test_built_chapter_shows_its_diagrams(chapter):
    page = HTML / "book" / f"{chapter}.html"
    if not page.exists():
        pytest.fail(f"{page} is missing: run `make book`")
    shown = {src.rsplit("/", 1)[-1]: (src, alt) for src, alt in Images(page.read_text()).images}
    for alt, src in used()[chapter]:
        name = src.rsplit("/", 1)[-1]
        assert name in shown, f"{chapter}: {name} is not on the built page"
        built, built_alt = shown[name]
        assert built_alt == alt, f"{chapter}: {name} lost its alt text in the build"
        assert (page.parent / built).is_file(), f"{chapter}: {built} is not in the built book"


@VIEWS
@pytest.mark.book
@pytest.mark.parametrize("chapter", sorted(c for c, images in used().items() if images))
def test_slide_deck_shows_its_diagrams(chapter):
    deck = SLIDES / f"{chapter}.html"
    if not deck.exists():
        pytest.fail(f"{deck} is missing: run `make slides`")
    text = deck.read_text(encoding="utf-8")
    for _, src in used()[chapter]:
        shown = re.search(rf'<img [^>]*class="figure" src="{re.escape(src)}"', text)
        assert shown, f"{chapter}: {src} is not on a slide"
        assert (deck.parent / src).is_file(), f"{chapter}: {src} was not copied with the deck"

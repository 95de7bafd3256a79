"""The built HTML book (``make book``): pages, figures, launch links, landing page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from export import colab as colab_view
from export import conventions as conv
from tests import timings

HTML = conv.ROOT / "_build" / "html"
CHAPTERS = conv.chapters()
pytestmark = pytest.mark.book


class Page(HTMLParser):
    """The links, images and text of one HTML page."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
        elif tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])

    def handle_data(self, data):
        self.text.append(data)


def page(relative: str) -> Page:
    path = HTML / relative
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make book`")
    return Page(path)


def html_path(notebook: Path) -> str:
    return notebook.with_suffix(".html").as_posix()


def test_landing_page_has_staff_syllabus_and_evaluation():
    intro = page("intro.html")
    text = " ".join("".join(intro.text).split())
    for needle in [
        "Taemoon Jeong", "taemoon-jeong@korea.ac.kr", "SeulBi Lee", "seulbi@ds.seoultech.ac.kr",
        "Midterm exam", "35 %", "October 30", "Final exam", "December 18", "Assignments", "30 %",
        "Linear model", "Multilayer Perceptron", "Convolutional Neural Networks",
        "Recurrent Neural Networks", "Attention and Transformers", "GPT Siblings",
        "Deep Generative Models",
    ]:  # fmt: skip
        assert needle in text, f"the landing page does not mention {needle!r}"
    for chapter in CHAPTERS:
        assert html_path(chapter) in intro.links, f"the landing page does not link {chapter}"


def test_index_redirects_to_the_landing_page():
    assert "intro.html" in (HTML / "index.html").read_text()


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.as_posix() for p in CHAPTERS])
def test_chapter_page_has_its_figures(path):
    executed = timings.executed_notebook(path)
    assert executed is not None, f"{path} has no execution in the build cache: run `make book`"
    figures = sum(
        "image/png" in out.get("data", {}) for c in executed.cells for out in c.get("outputs", [])
    )
    assert figures > 0, f"{path}: the executed chapter shows no figure"
    html = page(html_path(path))
    local = [src for src in html.images if not src.startswith("http")]
    assert len(local) >= figures, f"{path}: {figures} figures executed, {len(local)} on the page"
    for src in local:
        file = (HTML / path.parent / src).resolve()
        assert file.exists() and file.stat().st_size > 0, f"{path}: image {src} missing or empty"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.as_posix() for p in CHAPTERS])
def test_chapter_page_launches_colab_on_its_own_file(path):
    links = page(html_path(path)).links
    colab = {link for link in links if link.startswith(conv.COLAB + "/github/")}
    assert conv.colab_url(path) in colab, f"{path}: no Colab link to itself on the page"
    others = colab - {conv.colab_url(path)}
    if colab_view.is_view(conv.ROOT / path):  # the public copy: links to notebooks open in Colab
        others -= {conv.colab_url(p) for p in conv.notebooks()}
    assert not others, f"{path}: Colab links to other files: {others}"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.as_posix() for p in CHAPTERS])
def test_chapter_citations_resolve_to_the_bibliography(path):
    html = page(html_path(path))
    cites = [link for link in html.links if "bibliography.html#id" in link]
    source = (conv.ROOT / path).read_text()
    if "{cite" in source:
        assert cites, f"{path} cites works but its page links no bibliography entry"


def test_math_uses_the_vendored_mathjax():
    pages_with_math = [
        p
        for p in HTML.glob("**/*.html")
        if "_static" not in p.parts and "math notranslate" in p.read_text()
    ]
    assert pages_with_math, "no page with math was built"
    for path in pages_with_math:
        scripts = Page(path).scripts
        mathjax = [s for s in scripts if "tex-mml-chtml.js" in s]
        assert mathjax and not any(s.startswith("http") for s in mathjax), f"{path}: {mathjax}"
    assert (HTML / "_static" / "mathjax" / "tex-mml-chtml.js").exists()
    assert list(
        (HTML / "_static" / "mathjax" / "output" / "chtml" / "fonts").glob("woff-v2/*.woff")
    )


def test_no_excluded_folder_is_published():
    published = {p.relative_to(HTML).parts[0] for p in HTML.rglob("*")}
    for folder in ("solutions", "tests", "utils", ".venv", "submitted", "autograded", "feedback"):
        assert folder not in published, f"{folder}/ was published into the book"
    sources = HTML / "_sources"
    assert not any(re.search(r"solutions|tests/", str(p)) for p in sources.rglob("*"))

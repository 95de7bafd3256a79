"""The printable book (``make pdf``): its text, bookmarks, pages and images, read with poppler.

``make test`` prints the book after building it when Debian's Chromium is installed; the checks
read it back with poppler-utils (``pdftotext``, ``pdfinfo``, ``pdfimages``, ``pdftohtml``). Without
either they skip (the ``chromium`` and ``poppler`` fixtures), unless ``ITM528_REQUIRE_BROWSER=1``
(CI) makes that a failure. The first test needs neither: it checks how links and ids of the book's
pages are rewritten into one document.
"""

from __future__ import annotations

import re
import subprocess
import xml.etree.ElementTree as ET
from functools import cache

import pytest

from export import HOSTED_PDF, PDF, book, conventions, markdown, printbook
from export.pdf import count

CHAPTERS = book.chapters()
executed = cache(book.executed)  # each chapter read from the build cache once


def test_links_between_printed_pages_become_links_inside_the_document():
    part = printbook.Part("book/04_cnn.html")
    printed = {p.path: p for p in printbook.parts()}
    assert [p.path for p in printbook.parts()][0] == "intro.html"
    assert printbook.parts()[-1].path == "book/bibliography.html"
    assert printbook._link("bibliography.html#id7", part, printed) == "#book-bibliography--id7"
    assert printbook._link("#pooling", part, printed) == "#book-04_cnn--pooling"
    assert printbook._link("03_mlp.html", part, printed) == "#page-book-03_mlp"
    assert printbook._link("working_with_the_book.html", part, printed) is None
    assert printbook._link("https://arxiv.org/abs/1", part, printed) == "https://arxiv.org/abs/1"
    assert printbook._image("../_images/a.png", part, "../html") == "../html/_images/a.png"
    assert printbook._image("https://example.org/badge.svg", part, "../html") is None


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@cache
def text(raw: bool = False) -> str:
    """The PDF's text; ``raw`` keeps the order in which it is drawn (a wrapped line's end comes
    right after its start)."""
    return _run("pdftotext", *(["-raw"] if raw else []), "-enc", "UTF-8", str(PDF), "-")


@cache
def outline() -> list[tuple[str, int, list]]:
    """The PDF's bookmarks as (title, page, children), read through pdftohtml's XML."""
    xml = _run("pdftohtml", "-xml", "-stdout", "-i", "-q", str(PDF))
    found = re.search(r"<outline>.*</outline>", xml, re.S)
    assert found, "the PDF has no bookmarks"

    def items(node: ET.Element) -> list[tuple[str, int, list]]:
        out: list[tuple[str, int, list]] = []
        for child in node:
            if child.tag == "item":
                out.append(("".join(child.itertext()).strip(), int(child.get("page", 0)), []))
            elif child.tag == "outline" and out:
                out[-1][2].extend(items(child))
        return out

    return items(ET.fromstring(found.group(0)))


def chapter_title(path) -> str:
    return executed(path).cells[0].source.splitlines()[0].removeprefix("# ").strip()


def sections(path) -> list[str]:
    lines = (
        line
        for cell in executed(path).cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
    )
    return [re.sub(r"<[^>]+>", "", markdown.inline(ln[3:])) for ln in lines if ln.startswith("## ")]


needs_pdf = pytest.mark.usefixtures("printed")


@pytest.fixture(scope="module")
def printed(chromium, poppler) -> None:
    """The PDF that ``make pdf`` printed with Chromium, read back with poppler-utils."""
    if not PDF.exists():
        pytest.fail(f"{PDF} is missing: run `make pdf`")


@pytest.mark.book
@pytest.mark.browser
@needs_pdf
def test_the_hosted_book_holds_a_copy_of_the_pdf():
    assert HOSTED_PDF.parent == book.HTML, "the PDF's copy is not inside the hosted book"
    assert HOSTED_PDF.exists() and HOSTED_PDF.read_bytes() == PDF.read_bytes(), (
        f"{HOSTED_PDF} is missing or not the PDF printed last: run `make pdf`"
    )


@pytest.mark.book
@pytest.mark.browser
@needs_pdf
def test_text_has_every_chapter_title_and_no_raw_tex_or_roles():
    words = " ".join(text().split())
    for path in CHAPTERS:
        assert chapter_title(path) in words, f"{path}: its title is not in the PDF's text"
    assert conventions.config()["title"] in words and "Bibliography" in words
    for raw in ("$$", "\\frac", "{cite", "\\begin{", "\\(", "\\["):
        assert raw not in words, f"the PDF's text holds {raw!r}: math or a citation not rendered"


@pytest.mark.book
@pytest.mark.browser
@needs_pdf
def test_bookmarks_are_the_book_in_order_with_a_bookmark_per_section():
    top = outline()
    titles = [title for title, _, _ in top]
    expected = [conventions.config()["title"], *map(chapter_title, CHAPTERS), "Bibliography"]
    assert titles == expected, f"top-level bookmarks {titles}"
    pages = [page for _, page, _ in top]
    assert pages == sorted(pages) and len(set(pages)) == len(pages), f"pages {pages}"
    for path, (_, _, children) in zip(CHAPTERS, top[1:-1]):
        assert [t for t, _, _ in children] == sections(path), f"{path}: section bookmarks"


@pytest.mark.book
@pytest.mark.browser
@needs_pdf
def test_pages_and_images_match_the_chapters_figures():
    info = _run("pdfinfo", str(PDF))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    rows = _run("pdfimages", "-list", str(PDF)).splitlines()[2:]
    images = sum(1 for row in rows if row.split()[2] == "image")
    figures = {f for path in CHAPTERS for f in book.figures(executed(path))}
    print(f"{PDF.name}: {pages} pages, {images} images, {len(figures)} distinct figures")
    assert images == len(figures), f"{images} images in the PDF, {len(figures)} figures in chapters"
    assert count(PDF.read_bytes()) == (pages, len(rows))
    assert len(CHAPTERS) + 2 <= pages <= 3 * len(figures) + 20 * len(CHAPTERS), f"{pages} pages"


FOOTER = re.compile(r"\d+ ?/ ?\d+")


def _ascii(text: str) -> str:
    return text.encode("ascii", "ignore").decode("ascii")


@pytest.mark.book
@pytest.mark.browser
@needs_pdf
def test_code_and_results_are_wrapped_not_cut_at_the_page_edge():
    # A line cut at the page edge loses its end: every long line must be in the text in full.
    # Page footers ("12 / 143", lines of their own) go first; glyphs outside ASCII (math such as
    # "−∞" that the raw order may draw between a line's characters) are compared on neither side.
    pages = [ln for ln in text(raw=True).splitlines() if not FOOTER.fullmatch(ln.strip())]
    squeezed = _ascii("".join("".join(pages).split()))
    lines = []
    for path in CHAPTERS:
        for cell in executed(path).cells:
            if cell.cell_type == "code":
                if "remove-input" not in cell.metadata.get("tags", []):  # the book hides it too
                    lines += cell.source.splitlines()
                lines += [
                    ln
                    for o in cell.outputs
                    if o.get("name") == "stdout"
                    for ln in o.text.splitlines()
                ]
    long = {"".join(ln.split()) for ln in lines if len(ln.strip()) >= 90}
    assert len(long) > 10, "the chapters have no long lines to check"
    cut = [ln for ln in long if _ascii(ln) not in squeezed]
    assert not cut, f"{len(cut)} of {len(long)} long lines are not in the PDF in full: {cut[:3]}"

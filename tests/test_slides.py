"""The lecture slides (``make slides``): how chapters become slides, and the decks in Chromium.

The first tests build slides from small made-up notebooks and need nothing else. The others read
the decks in ``_build/html/slides`` (``make test`` builds them after the book); those that open
them in headless Chromium (the ``browser`` fixture) skip without /usr/bin/chromium, as the other
browser tests do.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import re
import struct
import zlib
from functools import cache
from html.parser import HTMLParser

import nbformat
import pytest

from export import HOSTED_PDF, SLIDES, book, markdown, slides
from export.layout import SHORT_CODE
from tests.conftest import watch
from tests.test_browser import _QuietHandler

CHAPTERS = book.chapters()
executed = cache(book.executed)  # each chapter read from the build cache once
IDS = [p.stem for p in CHAPTERS]


def png(width: int, height: int) -> str:
    """A blank grey PNG of the given size, base64-encoded, as a figure in a made-up notebook."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
    return base64.b64encode(data + chunk(b"IEND", b"")).decode()


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    title = nbformat.v4.new_markdown_cell("# Chapter 9: Made up\n\nWhat this chapter is about.")
    setup = nbformat.v4.new_code_cell("import torch")
    return nbformat.v4.new_notebook(cells=[title, setup, *cells])


def code(source: str, *outputs: dict, **metadata) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, metadata=metadata)
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def printed(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def figure(width: int = 800, height: int = 400) -> dict:
    data = png(width, height)
    return {"output_type": "display_data", "data": {"image/png": data}, "metadata": {}}


def build(nb: nbformat.NotebookNode) -> list[slides.Slide]:
    return slides.build(nb, lambda data: f"fig-{hashlib.sha1(data.encode()).hexdigest()[:6]}.png")


def visible(slide: slides.Slide) -> str:
    return "".join(item.html for item in slide.items)


# Slides from made-up notebooks -----------------------------------------------------------------


def test_prose_goes_to_the_notes_and_equations_code_results_and_figures_stay():
    deck = build(
        notebook(
            nbformat.v4.new_markdown_cell(
                "## Linear regression\n\nA paragraph of prose that explains the model.\n\n"
                "$$\n\\hat y = w x + b\n$$"
            ),
            code("y = w * x + b\nprint(y)", printed("tensor([2.])\n"), figure()),
        )
    )
    assert [s.title for s in deck] == ["Chapter 9: Made up", "Linear regression"]
    assert deck[0].opening and "What this chapter is about." in deck[0].notes[0]
    shown = visible(deck[1])
    assert "\\[\\hat y = w x + b\\]" in shown
    assert "print" in shown and "tensor([2.])" in shown and "<img" in shown
    assert "explains the model" not in shown
    assert any("explains the model" in note for note in deck[1].notes)


def test_setup_cell_is_left_out_and_long_code_goes_to_the_notes():
    long = "\n".join(f"x{i} = {i}" for i in range(SHORT_CODE + 5))
    deck = build(notebook(nbformat.v4.new_markdown_cell("## Long"), code(long, printed("done\n"))))
    assert all("import torch" not in visible(s) for s in deck)
    assert "x3 = 3" not in visible(deck[1]) and "done" in visible(deck[1])
    assert any("x3" in note for note in deck[1].notes)
    assert f"{SHORT_CODE + 5} lines of code" in visible(deck[1])


def test_a_long_section_continues_on_more_slides_that_fit():
    cells = [nbformat.v4.new_markdown_cell("## Many figures")]
    cells += [code(f"plot({i})", figure(800, 400 + i)) for i in range(6)]
    deck = build(notebook(*cells))
    assert len(deck) > 2, "six figures of 400 px cannot share one slide"
    assert {s.title for s in deck[1:]} == {"Many figures"}
    for slide in deck[1:]:
        assert sum(i.min_height() for i in slide.items) <= slide.budget() + 1
    assert sum(visible(s).count("<img") for s in deck) == 6


def test_subsections_start_slides_under_their_section_and_prose_alone_shows_first_sentences():
    deck = build(
        notebook(
            nbformat.v4.new_markdown_cell(
                "## Optimisers\n\n### Momentum\n\nMomentum keeps a velocity. It smooths steps.\n\n"
                "Adam scales each step. By a running size."
            )
        )
    )
    assert [(s.title, s.kicker) for s in deck[1:]] == [
        ("Optimisers", ""),
        ("Momentum", "Optimisers"),
    ]
    assert deck[1].items == []  # a divider: the section opens with a subsection
    shown = visible(deck[2])
    assert "Momentum keeps a velocity." in shown and "Adam scales each step." in shown
    assert "It smooths steps" not in shown


def test_cell_metadata_refines_the_split():
    deck = build(
        notebook(
            nbformat.v4.new_markdown_cell("## Refined"),
            code("a = 1", printed("one\n")),
            code("b = 2", printed("two\n"), slides="new"),
            code("c = 3", printed("three\n"), slides="skip"),
            code("d = 4", printed("four\n"), slideshow={"slide_type": "notes"}),
            nbformat.v4.new_markdown_cell("Shown prose.", metadata={"slides": "show"}),
        )
    )
    assert len(deck) == 3
    assert "one" in visible(deck[1]) and "two" not in visible(deck[1])
    assert "two" in visible(deck[2]) and "Shown prose." in visible(deck[2])
    assert all("three" not in visible(s) + "".join(s.notes) for s in deck)
    assert "four" not in visible(deck[2]) and any("four" in n for n in deck[2].notes)
    with pytest.raises(ValueError, match="slides='sometimes'"):
        build(notebook(code("e = 5", slides="sometimes")))


def test_citations_and_images_on_other_sites():
    assert markdown.cite("p", "vaswani2017attention") == "(Vaswani et al., 2017)"
    assert markdown.cite("t", "kingma2014adam, he2016deep").startswith("Kingma and Ba (2015); He")
    html = markdown.inline("[![Open In Colab](https://example.org/badge.svg)](https://example.org)")
    assert "<img" not in html and "Open In Colab" in html


# The decks of the book's chapters -------------------------------------------------------------


class Deck(HTMLParser):
    """The resources, images, titles and slides of a deck's HTML."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.resources: list[str] = []
        self.images: list[str] = []
        self.titles: list[str] = []
        self.sections = 0
        self._title: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.resources.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.resources.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag == "section":
            self.sections += 1
        if tag in ("h1", "h2"):
            self._title = []

    def handle_endtag(self, tag):
        if tag in ("h1", "h2") and self._title is not None:
            self.titles.append("".join(self._title).strip())
            self._title = None

    def handle_data(self, data):
        if self._title is not None:
            self._title.append(data)


def deck_file(chapter):
    path = SLIDES / f"{chapter.stem}.html"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make slides`")
    return path


@pytest.mark.book
def test_landing_page_links_the_slides_index():
    from tests.test_book import page

    links = page("intro.html").links
    assert "slides/index.html" in links, "the book's landing page does not link the slides"
    assert SLIDES == book.HTML / "slides", "the slides are not inside the hosted book"
    assert "itm528-book.pdf" in links and HOSTED_PDF == book.HTML / "itm528-book.pdf"


@pytest.mark.book
def test_index_links_every_deck():
    index = (SLIDES / "index.html").read_text() if (SLIDES / "index.html").exists() else ""
    assert index, f"{SLIDES / 'index.html'} is missing: run `make slides`"
    for chapter in CHAPTERS:
        assert f'href="{chapter.stem}.html"' in index, f"the slides index does not link {chapter}"


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_deck_is_offline_and_has_every_figure_and_section(chapter):
    text = deck_file(chapter).read_text(encoding="utf-8")
    deck = Deck(text)
    remote = [r for r in deck.resources if re.match(r"^([a-z]+:)?//", r)]
    assert not remote, f"{chapter.stem}: resources from other sites: {remote}"
    for resource in deck.resources:
        if not resource.startswith("data:"):
            assert (SLIDES / resource).is_file(), f"{chapter.stem}: {resource} is missing"
    nb = executed(chapter)
    expected = {
        f"{chapter.stem}/{hashlib.sha1(base64.b64decode(f)).hexdigest()[:12]}.png"
        for f in book.figures(nb)
    }
    assert expected, f"{chapter.stem}: the executed chapter has no figure"
    assert expected <= set(deck.images), f"{chapter.stem}: figures not in the deck"
    sections = [
        re.sub(r"<[^>]+>", "", markdown.inline(line[3:]))
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith("## ")
    ]
    missing = [s for s in sections if s not in deck.titles]
    assert not missing, f"{chapter.stem}: sections without a slide: {missing}"
    assert deck.sections > len(sections), f"{chapter.stem}: {deck.sections} slides"


# The decks in Chromium ------------------------------------------------------------------------

MEASURE = """async () => {
  await MathJax.startup.promise;
  const found = [];
  const all = Reveal.getSlides();
  for (let i = 0; i < all.length; i++) {
    Reveal.slide(i);
    const s = all[i];
    await Promise.all([...s.querySelectorAll('img')].map(im => im.decode().catch(() => null)));
    const box = s.getBoundingClientRect();
    const sx = 1280 / box.width, sy = 720 / box.height;
    let right = 0, bottom = 0;
    for (const el of s.querySelectorAll(':scope > :not(aside)')) {
      const b = el.getBoundingClientRect();
      right = Math.max(right, (b.right - box.left) * sx);
      bottom = Math.max(bottom, (b.bottom - box.top) * sy);
    }
    found.push({slide: i + 1, title: (s.querySelector('h1, h2') || {}).textContent,
      width: Math.max(s.scrollWidth, right), height: Math.max(s.scrollHeight, bottom),
      broken: [...s.querySelectorAll('img')].filter(im => !im.naturalWidth).length});
  }
  return {slides: found, total: Reveal.getTotalSlides(),
          formulas: document.querySelectorAll('.slides mjx-container').length,
          errors: document.querySelectorAll('mjx-merror').length};
}"""


@pytest.fixture(scope="module")
def deck_server():
    import functools
    import threading

    if not (SLIDES / "index.html").exists():
        pytest.fail(f"{SLIDES} is missing: run `make slides`")
    handler = functools.partial(_QuietHandler, directory=str(SLIDES))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.mark.book
@pytest.mark.browser
@pytest.mark.parametrize("chapter", CHAPTERS, ids=IDS)
def test_deck_in_chromium_loads_typesets_and_every_slide_fits(browser, deck_server, chapter):
    deck_file(chapter)
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    problems = watch(page)

    def route(r):
        if r.request.url.startswith(deck_server):
            r.continue_()
        else:
            problems.append(f"external request: {r.request.url}")
            r.abort()

    page.route("**/*", route)
    page.goto(f"{deck_server}/{chapter.stem}.html", wait_until="load")
    page.wait_for_function("() => window.MathJax?.startup?.promise && window.Reveal?.isReady()")
    result = page.evaluate(MEASURE)
    page.close()
    assert not problems, f"{chapter.stem}: {problems}"
    assert result["errors"] == 0, f"{chapter.stem}: {result['errors']} TeX errors"
    assert result["formulas"] > 0, f"{chapter.stem}: no formula typeset"
    assert result["total"] == len(result["slides"]) > 1
    over = [s for s in result["slides"] if s["width"] > 1280.5 or s["height"] > 720.5]
    assert not over, f"{chapter.stem}: slides whose content overflows 1280x720: {over}"
    broken = [s["slide"] for s in result["slides"] if s["broken"]]
    assert not broken, f"{chapter.stem}: images that did not load on slides {broken}"

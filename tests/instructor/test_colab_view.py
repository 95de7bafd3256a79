"""The public copy's notebooks as Colab shows them: nbformat and a CommonMark parser only, no
Sphinx. No raw MyST role, directive, target or equation label is left; every image is a raw file
of the public repository at the release (one the copy holds) or embedded; links lead out of the
notebook to somewhere Colab can open; the code is the book's own."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt

from export import bibliography
from export import conventions as conv
from grading.publish import public

SLUG = public.slug(conv.repository()[0])
RAW = f"https://raw.githubusercontent.com/{SLUG}/{conv.release()}/"
NOTEBOOKS = [p for p in public.tracked_files() if p.endswith(".ipynb") and
             not p.startswith(public.INSTRUCTOR_ONLY)]  # fmt: skip
RAW_MYST = {
    "role": re.compile(r"\{[\w:.+-]+\}`"),
    "directive": re.compile(r"^[ \t]*(`{3,}|:{3,})[ \t]*\{", re.M),
    "target": re.compile(r"^[ \t]*\([^()\s]+\)=[ \t]*$", re.M),
    "equation label": re.compile(r"\$\$[ \t]*\([^()\s]+\)"),
}
IMG_TAG = re.compile(r"<img\b[^>]*?\bsrc=[\"']([^\"']+)", re.I)
PARSER = MarkdownIt("commonmark", {"html": True}).enable("table")


def colab_view(copy: Path, path: str) -> nbformat.NotebookNode:
    return nbformat.read(copy / path, as_version=4)


def markdown_cells(nb: nbformat.NotebookNode) -> list[str]:
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def images_and_links(source: str) -> tuple[list[str], list[str]]:
    """The image sources and link targets a CommonMark renderer (Colab's) finds in ``source``."""
    images, links = [], []
    for token in PARSER.parse(source):
        if token.type == "html_block":
            images += IMG_TAG.findall(token.content)
        for child in token.children or []:
            if child.type == "image":
                images.append(str(child.attrGet("src")))
            elif child.type == "link_open":
                links.append(str(child.attrGet("href")))
            elif child.type == "html_inline":
                images += IMG_TAG.findall(child.content)
    return images, links


def test_the_copy_holds_every_notebook_of_the_book_and_the_releases(public_copy):
    assert len(NOTEBOOKS) >= 13 and all((public_copy / p).exists() for p in NOTEBOOKS)
    assert any(p.startswith("assignments/") for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_no_raw_myst_is_left(public_copy, path):
    for i, source in enumerate(markdown_cells(colab_view(public_copy, path))):
        for kind, pattern in RAW_MYST.items():
            found = pattern.search(source)
            assert not found, f"{path} cell {i}: a raw {kind}: {source[found.start() :][:80]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_every_image_is_a_raw_file_of_the_release_or_embedded(public_copy, path):
    held = {p.relative_to(public_copy).as_posix() for p in public_copy.rglob("*") if p.is_file()}
    for source in markdown_cells(colab_view(public_copy, path)):
        images, links = images_and_links(source)
        for src in images:
            if src.startswith(("data:", "attachment:")) or src == conv.BADGE_IMAGE:
                continue
            assert src.startswith(RAW), f"{path}: image {src} is not in the public repository"
            assert src.removeprefix(RAW) in held, f"{path}: image {src}: the copy lacks that file"
        for href in links:
            assert re.match(r"(https?|mailto):|#", href), f"{path}: link {href} Colab cannot open"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_the_code_is_the_books_and_citations_are_text_with_a_bibliography(public_copy, path):
    view, book = colab_view(public_copy, path), nbformat.read(conv.ROOT / path, as_version=4)
    assert view.metadata["colab_view"] == conv.release()
    code = [c.source for c in book.cells if c.cell_type == "code"]
    assert [c.source for c in view.cells if c.cell_type == "code"] == code
    assert view.cells[0].source.startswith(book.cells[0].source.splitlines()[0])  # the title
    assert conv.setup_cell(view).source == conv.setup_source()
    cited = re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", "\n".join(markdown_cells(book)))
    keys = list(dict.fromkeys(k for ks in cited for k in bibliography.split_keys(ks)))
    if not keys:
        return
    last = view.cells[-1]
    assert last.metadata.get("colab_view") == "bibliography", f"{path}: no bibliography cell"
    assert last.source.count("\n- ") == len(keys)
    for key in keys:
        names, year = bibliography.label(key)
        assert f"({year})" in last.source and names.split()[0] in last.source, key
    prose = "\n".join(markdown_cells(view)[:-1])
    names, year = bibliography.label(keys[0])
    assert f"{names}, {year}" in prose or f"{names} ({year})" in prose


def test_the_books_own_notebooks_keep_their_myst():
    """The HTML book is built from this repository's notebooks: the copy leaves them as they are."""
    book = "".join(Path(conv.ROOT / p).read_text() for p in NOTEBOOKS if p.startswith("book/"))
    assert book.count("{cite:") > 300 and "](figures/" in book

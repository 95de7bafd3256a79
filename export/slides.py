"""A chapter's slides, derived from its structure: sections, headings, code cells and figures.

Every ``##`` or ``###`` section starts a slide. Its headings, equations, lists, tables, short code
cells, printed results and figures go on the slide; prose paragraphs (and long code) go into the
speaker notes. A section longer than one slide continues on the next where a code cell or a
figure starts. A section of prose alone shows the first sentence of each paragraph.

A cell may refine this with ``"slides"`` in its metadata, or with Jupyter's own
``slideshow.slide_type``: ``"new"`` starts a new slide at the cell, ``"skip"`` leaves it out,
``"notes"`` puts all of it into the notes, ``"show"`` puts its prose (or its long code, over as many
slides as it needs) on the slide.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nbformat

from export import ROOT, markdown
from export.book import PNG, png_size
from export.layout import (
    LIST_MARGIN,
    SHORT_CODE,
    Item,
    Slide,
    block_item,
    code_chunks,
    code_item,
    figure_item,
    first_sentence,
    list_item,
    output_item,
)

MODES = ("", "new", "skip", "notes", "show")
MARGIN = Item("", LIST_MARGIN)  # the room a list needs below its items
SLIDE_TYPES = {"slide": "new", "subslide": "new", "skip": "skip", "notes": "notes"}
DIAGRAM = re.compile(r'<p><img src="(figures/[^"]+\.svg)" alt="[^"]*" ?/?></p>')
SVG_SIZE = re.compile(r'<svg[^>]* width="([\d.]+)pt" height="([\d.]+)pt"')


def diagram_item(block: markdown.Block) -> Item | None:
    """A paragraph that holds only one of the book's SVG diagrams, as a figure; else None."""
    match = DIAGRAM.fullmatch(block.html.strip())
    if match is None:
        return None
    size = SVG_SIZE.search((ROOT / "book" / match[1]).read_text(encoding="utf-8"))
    width, height = (round(float(v) * 4 / 3) for v in size.groups())  # pt -> CSS px
    return figure_item(match[1], (width, height))


def mode(cell: nbformat.NotebookNode) -> str:
    """The cell's refinement: new, skip, notes, show, or "" for the automatic split."""
    chosen = cell.metadata.get("slides")
    if chosen is None:
        kind = cell.metadata.get("slideshow", {}).get("slide_type", "")
        chosen = SLIDE_TYPES.get(kind, "")
        if "remove-cell" in cell.metadata.get("tags", []):
            chosen = "skip"
    if chosen not in MODES:
        raise ValueError(f"cell metadata slides={chosen!r}: expected one of {MODES[1:]}")
    return chosen


class Builder:
    """Turns a chapter's cells into slides, one cell at a time."""

    def __init__(self, figure_src: Callable[[str], str]) -> None:
        self.slides: list[Slide] = []
        self.section = ""  # the current ## heading, shown above the titles of its ### slides
        self.figure_src = figure_src  # callable: (base64 PNG) -> the src of its file
        self.prose: list[str] = []  # paragraphs of the current slide, to show if nothing else is
        self.pending: list[str] = []  # notes for the slide that gets the next item

    # Slides ----------------------------------------------------------------------------------
    def start(self, title: str, kicker: str = "") -> Slide:
        if self.slides:
            self.slides[-1].notes.extend(self.pending)
            self.pending = []
        self._close()
        self.slides.append(Slide(title, kicker))
        return self.slides[-1]

    def current(self) -> Slide:
        return self.slides[-1]

    def add(self, units: list[Item], new: bool = False) -> None:
        """Put items together on the current slide, or on a continuation slide if they do not
        fit; notes waiting for a slide go with them."""
        slide = self.current()
        if slide.items and (new or not slide.fits(units)):
            slide = self.start(slide.title, slide.kicker)
        if len(units) > 1 and not slide.fits(units):  # too much for one slide: one at a time
            for unit in units:
                self.add([unit])
            return
        slide.notes.extend(self.pending)
        self.pending = []
        slide.items.extend(units)

    def _close(self) -> None:
        """A slide of prose alone shows the first sentence of each paragraph."""
        last = self.slides[-1] if self.slides else None
        if last is not None and not last.opening and not last.items and self.prose:
            slide = self.slides[-1]
            points: list[Item] = []
            for paragraph in self.prose:
                point = list_item(f"<li>{first_sentence(paragraph)}</li>")
                if not slide.fits([*points, point, MARGIN]):
                    break
                points.append(point)
            if points:
                joined = "".join(p.html for p in points)
                height = sum(p.height for p in points) + LIST_MARGIN
                slide.items.append(Item(f'<ul class="points">{joined}</ul>', height))
        self.prose = []

    # Cells -----------------------------------------------------------------------------------
    def markdown_cell(self, source: str, mode: str) -> None:
        new = mode == "new"
        for block in markdown.blocks(source):
            if block.kind == "heading" and block.level <= 3:
                self._heading(block)
                new = False
            elif mode != "notes" and (diagram := diagram_item(block)) is not None:
                self.add([diagram], new)  # a diagram goes on the slide, like a plotted figure
                new = False
            elif mode == "notes" or block.kind in ("paragraph", "quote", "html", "rule"):
                if mode == "show" and block.kind == "paragraph":
                    self.add([block_item(block)], new)
                    new = False
                    continue
                self.pending.append(block.html)
                if block.kind == "paragraph":
                    self.prose.append(block.html)
            elif block.kind == "list":
                self._list(block, new)
                new = False
            else:
                self.add([block_item(block)], new)
                new = False

    def _heading(self, block: markdown.Block) -> None:
        title = re.sub(r"^<h\d>|</h\d>\s*$", "", block.html.strip())
        if block.level == 1:
            self.slides[0].title = title
        elif block.level == 2:
            self.section = title
            self.start(title)
        else:
            self.start(title, self.section)

    def _list(self, block: markdown.Block, new: bool) -> None:
        tag = "ol" if block.html.lstrip().startswith("<ol") else "ul"
        number = 1  # an ordered list continued on the next slide goes on counting
        items = [list_item(i) for i in block.items]
        while items:  # as many items as fit, then the rest on the next slide
            slide = self.current()
            if slide.items and (new or not slide.fits(items[:1])):
                slide = self.start(slide.title, slide.kicker)
            slide.notes.extend(self.pending)
            self.pending = []
            new, take = False, 1
            while take < len(items) and self.current().fits([*items[: take + 1], MARGIN]):
                take += 1
            chunk, items = items[:take], items[take:]
            joined = "".join(i.html for i in chunk)
            start = f' start="{number}"' if tag == "ol" and number > 1 else ""
            number += len(chunk)
            joined = f"<{tag}{start}>{joined}</{tag}>"
            height = sum(i.height for i in chunk) + LIST_MARGIN
            self.current().items.append(Item(joined, height))

    def code_cell(self, cell: nbformat.NotebookNode, mode: str) -> None:
        source = cell.source.rstrip()
        tags = set(cell.metadata.get("tags", []))
        outputs = [] if "remove-output" in tags else self._outputs(cell)
        if mode == "notes":  # the code and all it shows, in the notes
            self.pending += [code_item(source).html, *(o.html for o in outputs)]
            return
        new = mode == "new"
        lines = source.splitlines()
        if "remove-input" in tags or "hide-input" in tags or not source:
            units = []
        elif len(lines) > SHORT_CODE and mode != "show":
            self.pending.append(code_item(source).html)
            note = f'<p class="aside">{len(lines)} lines of code: in the speaker notes</p>'
            units = [Item(note, 34)]
        else:
            units = [code_item(c) for c in code_chunks(lines, self.current().budget())]
        for unit in units[:-1]:
            self.add([unit], new)
            new = False
        head = units[-1:] + [o for o in outputs if o.figure is None]
        if head:
            self.add(head, new)
            new = False
        for figure in (o for o in outputs if o.figure is not None):
            self.add([figure], new)
            new = False
        # Markdown that a cell displays (a chapter's self-check questions) goes on as markdown.
        shown = [o["data"]["text/markdown"] for o in cell.get("outputs", []) if _markdown(o)]
        for text in [] if "remove-output" in tags else shown:
            self.markdown_cell(text, "new" if new else "")
            new = False

    def _outputs(self, cell: nbformat.NotebookNode) -> list[Item]:
        items, printed = [], ""
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if out.output_type == "stream" and out.get("name") == "stdout":
                printed += out.text  # consecutive prints are one result
                continue
            if printed:
                items.append(output_item(printed))
                printed = ""
            if PNG in data:
                items.append(figure_item(self.figure_src(data[PNG]), png_size(data[PNG])))
            elif _markdown(out):
                continue  # shown as markdown by code_cell
            elif "text/plain" in data:
                items.append(output_item(data["text/plain"]))
            elif out.output_type == "error":
                items.append(output_item("\n".join(out.traceback)))
        return [*items, output_item(printed)] if printed else items


def _markdown(output: nbformat.NotebookNode) -> bool:
    """A displayed object with a Markdown form (and no figure): the slide shows that form."""
    data = output.get("data", {})
    return "text/markdown" in data and PNG not in data


def build(nb: nbformat.NotebookNode, figure_src: Callable[[str], str]) -> list[Slide]:
    """The slides of an executed chapter; ``figure_src`` maps a base64 PNG to its file's src.

    The chapter's setup cell (its first code cell) is left out: it is the same in every chapter.
    """
    builder = Builder(figure_src)
    builder.slides.append(Slide("", opening=True))
    setup_seen = False
    for cell in nb.cells:
        refinement = mode(cell)
        if refinement == "skip":
            continue
        if cell.cell_type == "markdown":
            builder.markdown_cell(cell.source, refinement)
        elif cell.cell_type == "code":
            if not setup_seen:
                setup_seen = True
                continue
            builder.code_cell(cell, refinement)
    builder.start("")  # closes the last slide
    return builder.slides[:-1]

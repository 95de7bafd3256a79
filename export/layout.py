"""What a slide holds and how much room each piece takes: the estimates behind the slide breaks.

The numbers match the decks' style sheet (``deck.CSS``): a 1280x720 slide, 26 px text, 18 px code.
They err on the generous side; the browser tests measure every slide of every deck.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field

from export import markdown

HEIGHT = 720 - 2 * 28 - 24  # px of content under the slide's padding, with a safety margin
WIDTH = 1280 - 2 * 48
TITLE_H, KICKER_H = 62, 28
CODE_LINE, OUTPUT_LINE, TEXT_LINE = 23.0, 21.0, 35.0  # px per line (see deck.CSS)
CODE_CHARS, OUTPUT_CHARS, TEXT_CHARS = 104, 112, 90  # characters per line before wrapping
SHORT_CODE = 22  # lines: longer code cells go into the notes (and fill a slide at most)
OUTPUT_LINES = 10  # printed results longer than this are shortened on the slide
FIGURE_MIN = 240  # px: a figure is never shrunk below this (or its own height)
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SENTENCE_RE = re.compile(r"^(.+?[.!?:])(\s|$)", re.S)


@dataclass
class Item:
    """A piece of a slide's visible content and the height it needs."""

    html: str
    height: float
    figure: tuple[int, int] | None = None  # (width, height) of a figure, which may shrink

    def min_height(self) -> float:
        """Figures may shrink to 70 % of their height (not below FIGURE_MIN); the rest may not."""
        if self.figure is None:
            return self.height
        return min(self.height, max(FIGURE_MIN, 0.7 * self.height))


@dataclass
class Slide:
    """One slide: a title, an optional section name above it, its items and its notes."""

    title: str
    kicker: str = ""
    opening: bool = False  # the chapter's title slide
    items: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def budget(self) -> float:
        """The height left for items under the title."""
        return HEIGHT - title_height(self.title) - (KICKER_H if self.kicker else 0)

    def fits(self, units: list[Item]) -> bool:
        """Whether ``units`` fit on the slide besides what it holds (figures shrunk if need be)."""
        return sum(i.min_height() for i in [*self.items, *units]) <= self.budget()


def title_height(title: str) -> float:
    """The height of a slide title (its text wraps at about 52 characters)."""
    text = strip_tags(title)
    return TITLE_H + 46 * (math.ceil(len(text) / 52) - 1)


def wrapped(lines: list[str], chars: int) -> int:
    """The number of lines that ``lines`` take once wrapped at ``chars`` characters."""
    return sum(max(1, math.ceil(len(line) / chars)) for line in lines)


def code_item(source: str) -> Item:
    """A code cell's source, highlighted by Pygments."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    body = highlight(source, PythonLexer(), HtmlFormatter(nowrap=True))
    lines = source.splitlines()
    return Item(
        f'<pre class="code"><code>{body}</code></pre>', wrapped(lines, CODE_CHARS) * CODE_LINE + 28
    )


def output_item(text: str) -> Item:
    """A printed result, shortened to its first and last lines when it is long."""
    lines = ANSI_RE.sub("", text).rstrip("\n").splitlines()
    if len(lines) > OUTPUT_LINES:
        lines = [
            *lines[:3],
            f"⋮ ({len(lines) - OUTPUT_LINES + 1} lines more in the book)",
            *lines[-6:],
        ]
    body = html.escape("\n".join(lines))
    return Item(
        f'<pre class="output">{body}</pre>', wrapped(lines, OUTPUT_CHARS) * OUTPUT_LINE + 24
    )


def figure_item(src: str, size: tuple[int, int]) -> Item:
    """A figure at its own size, or narrower to fit the slide's width."""
    width, height = size
    shown = height * min(1.0, WIDTH / width)
    return Item(f'<img class="figure" src="{src}" alt="figure">', shown + 8, figure=size)


def block_item(block: markdown.Block) -> Item:
    """A markdown block (equation, list, table, text) as it is."""
    return Item(block.html, block_height(block))


LIST_MARGIN, ITEM_MARGIN = 12, 8  # px below a list and below each of its items (deck.CSS)


def list_item(item_html: str) -> Item:
    """One item of a list (the list's own margin not included: see LIST_MARGIN)."""
    lines = wrapped(strip_tags(item_html).strip().splitlines() or [""], TEXT_CHARS)
    return Item(item_html, lines * TEXT_LINE + ITEM_MARGIN)


def strip_tags(text: str) -> str:
    """The text of some HTML, without its tags."""
    return re.sub(r"<[^>]+>", "", text)


def block_height(block: markdown.Block) -> float:
    """The height of an equation, a table or some text on a slide."""
    if block.kind == "math":
        rows = block.text.count("\\\\") + 1
        return 70 + 42 * (rows - 1) + (12 if "\\frac" in block.text else 0)
    if block.kind == "table":
        return (block.html.count("<tr>") * 42) + 24
    return wrapped(block.text.splitlines() or [""], TEXT_CHARS) * TEXT_LINE + 24


def first_sentence(paragraph_html: str) -> str:
    """The first sentence of a rendered paragraph, or the paragraph when none can be told."""
    inner = re.sub(r"^<p>|</p>\s*$", "", paragraph_html.strip())
    match = SENTENCE_RE.match(inner)
    return match.group(1) if match and "<" not in match.group(1).replace("<em>", "") else inner


def code_chunks(lines: list[str], budget: float) -> list[str]:
    """Code split at blank lines into pieces that each fit a slide."""
    fit = max(4, int((budget - 28) // CODE_LINE))
    pieces, current = [], []
    for line in lines:
        if len(current) >= fit or (not line.strip() and len(current) > fit * 0.6):
            pieces.append(current)
            current = []
        if current or line.strip():
            current.append(line)
    pieces.append(current)
    return ["\n".join(p) for p in pieces if p]

"""The chapters' markdown (MyST's subset that they use) as HTML blocks for the slides.

Math is written out with MathJax's delimiters (``\\(…\\)``, ``\\[…\\]``) for the vendored MathJax
to typeset; ``{cite:p}`` and ``{cite:t}`` become author-year citations from ``references.bib``,
as in the book.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from export.bibliography import cite

CITE_RE = re.compile(r"\{cite:(?P<kind>[pt])\}`(?P<keys>[^`]+)`")


@dataclass
class Block:
    """One top-level markdown block: its kind, its HTML, and its text for estimating its size."""

    kind: str  # heading, paragraph, math, list, table, code, quote, rule, html
    html: str
    text: str
    level: int = 0  # heading level; for lists, the number of items
    items: tuple[str, ...] = ()  # a list's items, as HTML


def _math_inline(_renderer, tokens: list[Token], idx: int, *_args) -> str:
    return f"\\({html.escape(tokens[idx].content)}\\)"


def _math_display(_renderer, tokens: list[Token], idx: int, *_args) -> str:
    return f'<div class="math">\\[{html.escape(tokens[idx].content.strip())}\\]</div>\n'


def _amsmath(_renderer, tokens: list[Token], idx: int, *_args) -> str:
    return f'<div class="math">\\[{html.escape(tokens[idx].content.strip())}\\]</div>\n'


def _image(renderer, tokens: list[Token], idx: int, options, env) -> str:
    """Local images as they are; an image on another site as its alt text (decks stay offline)."""
    token = tokens[idx]
    if str(token.attrGet("src") or "").startswith(("http:", "https:", "//")):
        return html.escape(renderer.renderInlineAsText(token.children or [], options, env))
    return renderer.image(tokens, idx, options, env)


@cache
def parser() -> MarkdownIt:
    """A markdown-it parser with tables, dollar math and amsmath environments."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    dollarmath_plugin(md, allow_space=True, allow_digits=True, double_inline=True)
    amsmath_plugin(md)
    md.add_render_rule("math_inline", _math_inline)
    md.add_render_rule("math_inline_double", _math_display)
    md.add_render_rule("math_block", _math_display)
    md.add_render_rule("math_block_label", _math_display)
    md.add_render_rule("amsmath", _amsmath)
    md.add_render_rule("image", _image)
    return md


KINDS = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "table_open": "table",
    "blockquote_open": "quote",
    "math_block": "math",
    "math_block_label": "math",
    "amsmath": "math",
    "fence": "code",
    "code_block": "code",
    "hr": "rule",
}


def _top_level(tokens: list[Token]) -> list[list[Token]]:
    """The tokens grouped into top-level blocks (an opening token up to its closing one)."""
    groups: list[list[Token]] = []
    depth = 0
    for token in tokens:
        if depth == 0:
            groups.append([])
        groups[-1].append(token)
        depth += token.nesting
    return groups


def _text(tokens: list[Token]) -> str:
    return " ".join(
        t.content
        for t in tokens
        if t.type in ("inline", "fence", "code_block", "math_block", "amsmath")
    )


def blocks(source: str) -> list[Block]:
    """The top-level blocks of a markdown cell, citations resolved."""
    source = CITE_RE.sub(lambda m: cite(m["kind"], m["keys"]), source)
    md = parser()
    out = []
    for group in _top_level(md.parse(source)):
        first = group[0]
        kind = KINDS.get(first.type, "html")
        if kind == "paragraph" and _is_display_math(group):
            kind = "math"
        rendered = md.renderer.render(group, md.options, {})
        items: tuple[str, ...] = ()
        level = int(first.tag[1]) if kind == "heading" else 0
        if kind == "list":
            items = tuple(_list_items(md, group))
            level = len(items)
        out.append(Block(kind, rendered, _text(group), level, items))
    return out


def _is_display_math(group: list[Token]) -> bool:
    """A paragraph that holds nothing but ``$$…$$``."""
    inline = [t for t in group if t.type == "inline"]
    children = [c for t in inline for c in (t.children or []) if c.type != "softbreak"]
    return bool(children) and all(c.type == "math_inline_double" for c in children)


def _list_items(md: MarkdownIt, group: list[Token]) -> list[str]:
    items, depth, current = [], 0, []
    for token in group[1:-1]:
        if depth == 0 and token.type == "list_item_open":
            current = []
        depth += token.nesting
        current.append(token)
        if depth == 0 and token.type == "list_item_close":
            items.append(md.renderer.render(current, md.options, {}))
    return items


def inline(source: str) -> str:
    """A single line of markdown (a heading's text, say) as inline HTML."""
    source = CITE_RE.sub(lambda m: cite(m["kind"], m["keys"]), source)
    return parser().renderInline(source)

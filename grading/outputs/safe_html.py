"""Student HTML made inert: what a TA or a student opens shows it, and runs none of it.

A submission controls the HTML of its outputs (``display(HTML(...))``, a ``_repr_html_``) and
of its markdown cells (raw HTML passes through the markdown renderer, and a link may point at
``javascript:``). :func:`clean` keeps plain formatting, lists, tables and raster images that
carry their own bytes (``data:image/png;base64,...``, as the kernel's image outputs do), and
drops scripts, event handlers, ``javascript:`` and other active URLs, frames, objects, forms,
style elements and attributes, and classes other than those of highlighted code (a class of
the page's style sheet can hide content).
The HTML shown is always :func:`clean`'s own output, never the student's text judged safe:
a parser of this module and a browser could read the same text differently.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3
from pygments.token import STANDARD_TYPES

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong",
    "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    "var",
})  # fmt: skip
"""Formatting, lists, tables and images: what an honest output or written answer uses."""

ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "table": {"border"},
    **{f"h{level}": {"id"} for level in range(1, 7)},  # a heading's anchor
}
"""The attributes kept, per tag; every other one (``on*``, ``style``) goes."""

CLASSES = {
    "span": {name for name in STANDARD_TYPES.values() if name},
    "div": {"highlight"},
    "a": {"anchor-link"},
}
"""The only classes kept: those of highlighted code and heading anchors, as the markdown
renderer writes them (a class of the page's own style sheet could hide an element)."""

DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "noscript"})
"""Elements removed with what they hold: their text is code or styling, not reading matter."""

IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*", re.I)
"""Images carry their own bytes, in a raster format (an SVG can hold a script)."""
ATTACHMENT = re.compile(r"attachment:[\w.\- ]+")
"""A markdown cell's own attachment, which the page renders from the cell's (cleaned) data."""
LINK = re.compile(r"(https?://|mailto:|#)\S*", re.I)
"""Links that leave for the web or a mail client, or go to a place on the same page."""
NUMBER = re.compile(r"\d{1,5}(\.\d+)?%?")


def url_kept(element: str, name: str, value: str) -> str | None:
    """``value`` where it may stay (a URL that cannot run anything or reach into the course's
    files, a plain number), or None."""
    if element == "img" and name == "src":
        return value if IMAGE_DATA.fullmatch(value) or ATTACHMENT.fullmatch(value) else None
    if element == "a" and name == "href":
        return value if LINK.fullmatch(value) else None
    if name in {"width", "height", "colspan", "rowspan", "span", "start", "border"}:
        return value if NUMBER.fullmatch(value.strip()) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(TAGS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    attribute_filter=url_kept,
    allowed_classes={tag: set(names) for tag, names in CLASSES.items()},
    url_schemes={"http", "https", "mailto", "data", "attachment"},
    link_rel=None,
    strip_comments=True,
)


def clean(html: str) -> str:
    """``html`` with everything active removed, and the rest kept."""
    return _CLEANER.clean(html)


class _StartTags(HTMLParser):
    """The start tags of a fragment with their attributes (for the notes only: this parser
    and a browser can disagree, so nothing is judged safe by it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(sorted((k, v or "") for k, v in attrs))))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _start_tags(html: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    parser = _StartTags()
    parser.feed(html)
    parser.close()
    return parser.tags


def removed(html: str) -> list[str]:
    """What :func:`clean` takes out of ``html``: each kind of element or attribute, once."""
    after = _start_tags(clean(html))
    tags_kept = {tag for tag, _ in after}
    kept = {(tag, name, value) for tag, attrs in after for name, value in attrs}
    found: list[str] = []
    for tag, attrs in _start_tags(html):
        if tag not in tags_kept:
            found.append(f"<{tag}>")
            continue
        found += [f"{name}= on <{tag}>" for name, value in attrs if (tag, name, value) not in kept]
    return list(dict.fromkeys(found))

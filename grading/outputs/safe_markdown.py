"""Markdown from a submission (a written answer, a ``text/markdown`` output) made inert.

nbconvert's markdown renderer escapes text, code and math, but passes raw HTML through, writes
any link's URL (``javascript:`` too) into its tag, and copies a ``mermaid`` code block into the
page as it is. A text with none of these is kept as it was typed. Otherwise it is rendered,
cleaned by :func:`grading.outputs.safe_html.clean`, and kept as that clean HTML, in one raw
block that the renderer is checked to pass through unchanged; where it would not, the text is
shown as plain text in a fenced block.
"""

from __future__ import annotations

import re

from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

from grading.outputs import safe_html

RAW = frozenset({"block_html", "inline_html"})
"""Tokens the renderer writes into the page as they are."""


def render(source: str, attachments: dict | None = None) -> str:
    """The HTML of a markdown text, as the feedback page renders a markdown cell."""
    renderer = IPythonRenderer(escape=False, attachments=attachments or {})
    return MarkdownWithMath(renderer=renderer).render(source)


def tokens(source: str) -> list[dict]:
    """The renderer's parse of ``source``: its blocks and their inline children."""
    parsed = MarkdownWithMath(renderer=None).parse(source)
    return parsed[0] if isinstance(parsed, tuple) else parsed


def active(found: list[dict]) -> tuple[bool, list[str]]:
    """Whether ``found`` (tokens) holds anything the page would take as HTML, and what of it
    would be removed (raw HTML that :func:`safe_html.clean` keeps whole removes nothing)."""
    unsafe, notes = False, []
    for token in found:
        kind, attrs = token.get("type"), token.get("attrs") or {}
        if kind in RAW:
            unsafe = True
            notes += safe_html.removed(token.get("raw", ""))
        elif kind == "block_code" and str(attrs.get("info") or "").strip().startswith("mermaid"):
            unsafe = True
            notes.append("a mermaid block (its text goes into the page as HTML)")
        elif kind in ("link", "image"):
            element, name = ("a", "href") if kind == "link" else ("img", "src")
            url = str(attrs.get("url", ""))
            if safe_html.url_kept(element, name, url) is None:
                unsafe = True
                notes.append(f"{name}= on <{element}> ({url.split(':', 1)[0][:20]!r} URL)")
        inner_unsafe, inner_notes = active(token.get("children") or [])
        unsafe, notes = unsafe or inner_unsafe, notes + inner_notes
    return unsafe, list(dict.fromkeys(notes))


def clean(source: str, attachments: dict | None = None) -> tuple[str, list[str]]:
    """A markdown text that renders inert, and what was removed to make it so."""
    try:
        unsafe, notes = active(tokens(source))
        html = render(source, attachments)  # also: would the page render it at all?
    except Exception:  # a missing attachment, say: the whole page would fail to render
        return as_plain_text(source), ["markup the page could not render"]
    if not unsafe:
        return source, []
    body = re.sub(r"\n\s*\n", "\n", safe_html.clean(html)).strip()
    cleaned = f"<div>\n{body}\n</div>"  # one raw HTML block: only a blank line could end it
    if _passed_through(cleaned):
        return cleaned, notes
    return as_plain_text(source), [*notes, "the text is shown as plain text"]


def _passed_through(html: str) -> bool:
    """True if the renderer reads ``html`` as one raw block, which it writes out unchanged."""
    blocks = [t for t in tokens(html) if t.get("type") != "blank_line"]
    return (
        len(blocks) == 1
        and blocks[0].get("type") == "block_html"
        and blocks[0].get("raw", "").strip() == html.strip()
    )


def as_plain_text(source: str) -> str:
    """``source`` as a fenced block: shown as it was typed, with no markup at all."""
    longest = max((len(run) for run in re.findall(r"`+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{source}\n{fence}"

"""The bank's Markdown as HTML for the LMS exports, with its math kept as LaTeX text.

``$...$`` becomes ``\\(...\\)`` and ``$$...$$`` becomes ``\\[...\\]``, which the LMS's MathJax
(Moodle's filter, Canvas) typesets; the math is set aside before the Markdown is rendered, so
that ``_`` and ``*`` inside it stay as written.
"""

from __future__ import annotations

import html
import re

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": False})
_SPANS = re.compile(r"(`+)(?:.+?)\1|\$\$(?P<display>.+?)\$\$|\$(?P<inline>[^$\n]+?)\$", re.S)
_MARK = "\ue000{}\ue001"  # private-use characters: Markdown leaves them alone


def latex(markdown: str) -> str:
    """``markdown`` with its ``$`` math delimiters turned into ``\\(...\\)`` and ``\\[...\\]``
    (code spans left alone): for plain-text fields such as short answers."""

    def swap(match: re.Match[str]) -> str:
        if match.group("display") is not None:
            return rf"\[{match.group('display').strip()}\]"
        if match.group("inline") is not None:
            return rf"\({match.group('inline').strip()}\)"
        return match.group(0)

    return _SPANS.sub(swap, markdown)


def to_html(markdown: str, inline: bool = False) -> str:
    """``markdown`` rendered as HTML, math as escaped LaTeX text; ``inline`` renders one line
    without a surrounding paragraph (option texts, short feedback)."""
    math: list[str] = []

    def park(match: re.Match[str]) -> str:
        if match.group("display") is None and match.group("inline") is None:
            return match.group(0)
        math.append(html.escape(latex(match.group(0)), quote=False))
        return _MARK.format(len(math) - 1)

    parked = _SPANS.sub(park, markdown.strip())
    rendered = _MD.renderInline(parked) if inline else _MD.render(parked)
    return re.sub("\ue000(\\d+)\ue001", lambda m: math[int(m.group(1))], rendered).strip()

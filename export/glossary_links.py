"""Glossary terms linked from the chapter prose that introduces them.

For each term of a chapter's glossary, the first mention in the chapter's own markdown (bold
first: ``**perceptron**`` is how a chapter defines a term; else the first plain mention) becomes
a link to the term's entry on the glossary page. Code, math, links, roles, HTML and headings are
never touched, and a term that is linked already stays as it is, so that a second sync changes
nothing. A term the prose never mentions is linked from the chapter's self-check heading only.
"""

from __future__ import annotations

import re

import nbformat

from export import studypages
from questions import Chapter

GLOSSARY = "study/glossary.md"
KEEP = re.compile(
    r"`[^`\n]*`"  # inline code
    r"|\$\$.*?\$\$|\$[^$\n]*\$"  # math
    r"|!?\[[^\]\n]*\]\([^)\n]*\)"  # links and images
    r"|\{[\w:-]+\}`[^`\n]*`"  # roles such as {cite:p}`key`
    r"|<[^>\n]*>"  # HTML tags
    r"|https?://\S+"  # bare addresses
    r"|^#.*$"  # headings
    r"|^```.*?^```",  # fenced code
    re.S | re.M,
)
"""What a link may never be put inside."""


def target(term: str) -> str:
    """The link target of ``term``'s glossary entry, relative to a chapter notebook."""
    return f"{GLOSSARY}#{studypages.slug(term)}"


def _free_spans(text: str) -> list[tuple[int, int]]:
    """The stretches of ``text`` outside everything :data:`KEEP` protects."""
    spans, start = [], 0
    for kept in KEEP.finditer(text):
        spans.append((start, kept.start()))
        start = kept.end()
    return [*spans, (start, len(text))]


def _find(text: str, term: str, bold: bool) -> tuple[int, int] | None:
    """Where ``term`` (as a whole word, any case, plural allowed) is mentioned outside protected
    stretches; with ``bold``, only as ``**term**``."""
    word = re.escape(term) + r"(?:s|es)?"
    pattern = re.compile(rf"\*\*{word}\*\*" if bold else rf"(?<![\w-]){word}(?![\w-])", re.I)
    for start, end in _free_spans(text):
        if match := pattern.search(text, start, end):
            return match.span()
    return None


def link_terms(nb: nbformat.NotebookNode, chapter: Chapter, skip: str) -> bool:
    """Link each glossary term of ``chapter`` where the prose of ``nb`` first mentions it (cells
    whose metadata has ``skip`` are generated, and left out); True if a cell changed."""
    prose = [c for c in nb.cells if c.cell_type == "markdown" and skip not in c.metadata]
    changed = False
    for entry in chapter.glossary:
        link = target(entry.term)
        if any(f"]({link})" in c.source for c in prose):
            continue
        for bold in (True, False):
            found = next(((c, s) for c in prose if (s := _find(c.source, entry.term, bold))), None)
            if found is not None:
                cell, (a, b) = found
                cell.source = f"{cell.source[:a]}[{cell.source[a:b]}]({link}){cell.source[b:]}"
                changed = True
                break
    return changed


def unlinked(nb: nbformat.NotebookNode, chapter: Chapter, skip: str) -> list[str]:
    """The glossary terms of ``chapter`` that the prose mentions but does not link."""
    prose = [c for c in nb.cells if c.cell_type == "markdown" and skip not in c.metadata]
    return [
        e.term
        for e in chapter.glossary
        if not any(f"]({target(e.term)})" in c.source for c in prose)
        and any(_find(c.source, e.term, False) for c in prose)
    ]

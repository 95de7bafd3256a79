"""Lecture slides and a printable book, made from the book build's executed chapters.

``python -m export slides`` writes one reveal.js deck per chapter into ``_build/html/slides/``;
``python -m export pdf`` prints the built HTML book into ``_build/pdf/itm528-book.pdf`` and copies
it to ``_build/html/itm528-book.pdf``. Both read what ``make book`` produced (the jupyter-cache in
``_build/.jupyter_cache`` and ``_build/html``) and never execute a chapter again. Both land inside
``_build/html``, so that the hosted book links them (``intro.md``: ``slides/index.html``,
``itm528-book.pdf``).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
SLIDES = BUILD / "html" / "slides"
PDF = BUILD / "pdf" / "itm528-book.pdf"
HOSTED_PDF = BUILD / "html" / PDF.name
"""The PDF's copy in the hosted book, next to ``intro.html``."""

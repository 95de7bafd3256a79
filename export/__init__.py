"""Lecture slides and a printable book, made from the book build's executed chapters.

``python -m export slides`` writes one reveal.js deck per chapter into ``_build/slides/``;
``python -m export pdf`` prints the built HTML book into ``_build/pdf/itm528-book.pdf``. Both read
what ``make book`` produced (the jupyter-cache in ``_build/.jupyter_cache`` and ``_build/html``)
and never execute a chapter again.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
SLIDES = BUILD / "slides"
PDF = BUILD / "pdf" / "itm528-book.pdf"

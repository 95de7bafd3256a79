"""Pairs of submissions whose solution code is suspiciously alike, found with copydetect.

Each student's solution code is the source of their answer cells and of the code cells they
added, read from the autograded notebook. The release's own code (setup, the grader's cells, the
visible tests and the answer cells' stubs) is copydetect's *boilerplate*: its fingerprints are
removed from every submission before any comparison, so that the template alone never makes
two submissions alike.

copydetect tokenizes the code and replaces every name by one letter, so renamed variables and
functions change nothing; it compares winnowed fingerprints of k-grams (Stanford MOSS's
method), so reordered functions change nothing either. A pair is flagged when the larger of its
two similarities (matched tokens over each document's fingerprinted tokens) reaches
:data:`THRESHOLD` and the match covers at least :data:`MIN_OVERLAP` tokens.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import highlight_overlap

from grading import cells

NOISE = 25
"""copydetect's noise threshold: the shortest match (in characters of tokenized code) counted."""
WINDOW = 4
"""The winnowing window: any match of at least ``NOISE + WINDOW - 1`` characters is found."""
THRESHOLD = 0.65
"""Flag a pair when one of its two similarities reaches this. Two copies of one solution with
renamed variables and reordered functions score about 0.95 to 1.0; independently written
correct solutions of a1 score below 0.4 (the idioms every answer shares: ``N, C, H, W =
x.shape``, the output size formula, ``F.unfold``); see tests/instructor/test_report.py."""
MIN_OVERLAP = 150
"""A flagged pair shares at least this many tokenized characters (a few lines of code), so that
two nearly empty submissions that share one line are not flagged."""
PREFILTER = 0.5
"""Pairs whose share of common fingerprints is below ``PREFILTER * THRESHOLD`` are not compared
token by token (their similarity cannot come near the threshold); this keeps a class of 200
within a few seconds."""
CONTEXT_LINES = 2
"""Lines of unmatched code kept around each matched excerpt."""


@dataclass(frozen=True)
class Pair:
    """Two submissions and how much of each one's code the other contains."""

    first: str
    second: str
    similarity: tuple[float, float]
    """Matched tokens over all fingerprinted tokens, for ``first`` and for ``second``."""
    overlap: int
    """Tokenized characters of ``first`` that match ``second``."""
    codes: tuple[str, str] = field(repr=False, compare=False)
    slices: tuple[np.ndarray, np.ndarray] = field(repr=False, compare=False)
    """Where the matches are in each one's code: starts in row 0, ends in row 1."""

    @property
    def score(self) -> float:
        """The pair's similarity: the larger of the two."""
        return max(self.similarity)

    def excerpts(self) -> tuple[str, str]:
        """Each one's code as HTML-escaped text, matches in ``<mark>``, far context cut."""
        return _excerpt(self.codes[0], self.slices[0]), _excerpt(self.codes[1], self.slices[1])


def template_code(release: Mapping) -> str:
    """The release's code: every code cell, then the answer cells' stubs as :func:`solution_code`
    joins them for a submission (so that where two stubs meet is template too)."""
    code = [cells.source(c) for c in release.get("cells", []) if c.get("cell_type") == "code"]
    return "\n\n".join(code) + "\n\n" + solution_code(release, release)


def solution_code(nb: Mapping, release: Mapping) -> str:
    """A submission's own code: its answer cells and the code cells it added, in notebook order.

    A cell is the student's unless the release has a cell of that grade id that is not an answer
    cell (setup, grader, tests: restored from the gradebook, the same for everyone). Each cell is
    headed by a comment naming it, which copydetect ignores.
    """
    fixed = {
        cells.grade_id(c)
        for c in release.get("cells", [])
        if cells.grade_id(c) and not cells.is_answer(c)
    }
    parts = []
    for n, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        gid = cells.grade_id(cell)
        if gid in fixed:
            continue
        parts.append(f"# --- {gid or f'added cell {n}'} ---\n{cells.source(cell).rstrip()}\n")
    return "\n".join(parts)


def _fingerprint(code: str, boilerplate: np.ndarray | None = None, window: int = WINDOW):
    return CodeFingerprint(
        "submission.py", NOISE, window, boilerplate=boilerplate, fp=io.StringIO(code),
        language="python",
    )  # fmt: skip


def _boilerplate(template: str) -> np.ndarray:
    """Every fingerprint of the template (window 1, as copydetect does for boilerplate)."""
    if not template.strip():
        return np.array([], dtype=np.int64)
    return np.unique(np.array(sorted(_fingerprint(template, window=1).hashes), dtype=np.int64))


def _excerpt(code: str, slices: np.ndarray) -> str:
    text, _ = highlight_overlap(
        code, slices, "<mark>", "</mark>", truncate=CONTEXT_LINES, escape_html=True
    )
    return text.strip("\n")


def compare(code: Mapping[str, str], template: str) -> list[Pair]:
    """Every pair of students (keys of ``code``) with their similarity, the highest first.

    Pairs that share no fingerprint, or too few to come near :data:`THRESHOLD`, are left out.
    """
    boilerplate = _boilerplate(template)
    prints = {}
    for student, source in code.items():
        fp = _fingerprint(source, boilerplate)
        if fp.hashes:
            prints[student] = (fp, frozenset(int(h) for h in fp.hashes))
    pairs = []
    for a, b in itertools.combinations(sorted(prints), 2):
        (fa, ha), (fb, hb) = prints[a], prints[b]
        if len(ha & hb) < PREFILTER * THRESHOLD * min(len(ha), len(hb)):
            continue
        overlap, similarity, slices = compare_files(fa, fb)
        if overlap == 0:
            continue
        sims = (min(1.0, float(similarity[0])), min(1.0, float(similarity[1])))
        pairs.append(Pair(a, b, sims, int(overlap), (fa.raw_code, fb.raw_code), slices))
    return sorted(pairs, key=lambda p: (-p.score, p.first, p.second))


def flagged(pairs: Iterable[Pair]) -> list[Pair]:
    """The pairs alike enough to be read by the instructor."""
    return [p for p in pairs if p.score >= THRESHOLD and p.overlap >= MIN_OVERLAP]

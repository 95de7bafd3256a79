"""Feedback that shows students what each test expected and got, never the hidden tests.

nbgrader's feedback page renders the autograded notebook, hidden tests included. This
preprocessor (configured in nbgrader_config.py) removes the hidden regions from every cell,
reduces each error in a test cell to its message, so that a traceback cannot quote hidden code,
and removes every output, of any cell, that quotes a line of the hidden tests: a submission's
own code can print what the kernel ran (IPython's input history, a hook that echoes each cell).
Before all that, the notebook is made inert (:func:`grading.outputs.sanitize.notebook`): no
script, event handler or active link of a submission reaches the page.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from grading import cells
from grading.outputs import sanitize

PLACEHOLDER = "# (hidden tests: their results are shown below)"
REMOVED = "[output removed from the feedback: it quoted the hidden tests]\n"
MIN_LINE = 12
"""Hidden lines shorter than this (``)``, ``else:``) say nothing and are not searched for."""


def normalise(text: str) -> str:
    """``text`` as a reader sees it: escapes of a printed ``repr`` and HTML entities undone,
    every run of white space one space, so that a quoted line is found however it was printed."""
    return re.sub(r"\s+", " ", cells.unescape(html.unescape(text)))


def output_text(output) -> str:
    """Everything textual in one output: stream text, error message, and text-like data."""
    parts = [output.get("text", ""), output.get("ename", ""), output.get("evalue", "")]
    parts += output.get("traceback", [])
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime.endswith(("json", "javascript", "svg+xml")):
            parts.append(value if isinstance(value, str) else str(value))
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def quotes_any(text: str, needles: set[str]) -> bool:
    """True if ``text`` (normalised) contains any of ``needles`` (normalised lines)."""
    flat = normalise(text)
    return any(needle in flat for needle in needles)


class RedactHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests from sources, tracebacks and every output in the feedback, and
    anything of the submission's that could run in the reader's browser."""

    def preprocess(self, nb, resources):
        assignment = resources.get("nbgrader", {}).get("assignment")
        sanitize.notebook(nb, sanitize.released_text(assignment) if assignment else frozenset())
        lines = {ln for cell in nb.cells for ln in cells.hidden_lines(cell.source)}
        self._needles = {normalise(ln) for ln in lines if len(ln) >= MIN_LINE}
        self._waiting = _awaiting(resources.get("nbgrader", {}))
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") in self._waiting:  # shown as "awaiting grading", never 0
            meta["score"] = float("nan")
        if cell.cell_type != "code":
            return cell, resources
        had_hidden = cells.REGIONS["hidden"][0] in cell.source
        cell.source = cells.without_hidden(cell.source, PLACEHOLDER)
        if had_hidden or cells.nbgrader(cell).get("grade"):
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [
                        f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
                    ]
        for i, output in enumerate(cell.get("outputs", [])):
            if quotes_any(output_text(output), self._needles):
                kind = "error" if output.get("output_type") == "error" else "stream"
                cell.outputs[i] = _removed(kind)
        return cell, resources


def _awaiting(info: dict) -> set[str]:
    """Grade ids waiting for a manual grade in the student's submission (none without one)."""
    if not info.get("student"):
        return set()
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(info["db_url"]) as gb:
        try:
            sub = gb.find_submission(info["assignment"], info["student"])
        except MissingEntry:
            return set()
        return {g.name for nb in sub.notebooks for g in nb.grades if g.needs_manual_grade}


_NAN_SCORE = re.compile(r"Score: nan / ([0-9.]+)")


def mark_awaiting(page: Path) -> None:
    """In a rendered feedback page, a score still to be given reads "awaiting grading"."""
    text = page.read_text()
    marked = _NAN_SCORE.sub(lambda m: f"Score: awaiting grading (of {m.group(1)})", text)
    if marked != text:
        page.write_text(marked)


def _removed(kind: str) -> dict:
    from nbformat.v4 import new_output

    if kind == "error":  # keep the cell's failure (and its zero score) visible
        return new_output("error", ename="Error", evalue=REMOVED.strip(), traceback=[REMOVED])
    return new_output("stream", name="stdout", text=REMOVED)

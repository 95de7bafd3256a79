"""A graded notebook made safe to open: its feedback page and what the formgrader shows a TA.

A submission decides what its outputs hold and what its markdown cells say, and the pages made
from a notebook pass HTML, markdown and scripts through. :func:`notebook` makes everything in
a notebook inert before any page is made of it:

- outputs keep only plain text, HTML (cleaned by :mod:`grading.outputs.safe_html`), markdown
  (its rendering cleaned), LaTeX (escaped by the page) and PNG, JPEG or GIF images whose data
  is base64; scripts, SVG (it can hold a script), widgets and every other kind are removed, and
  an output left with nothing says so in a line of text;
- a markdown cell (and a comment) with raw HTML, an active link or a block the renderer copies
  as HTML is replaced by its cleaned rendering, or shown as plain text
  (:mod:`grading.outputs.safe_markdown`); a raw cell's HTML is cleaned;
- attachments keep only raster images, output metadata only numeric image sizes, and the
  notebook's saved widget state is dropped.

Notes say what was removed from which cell, printable on a terminal.
"""

from __future__ import annotations

import base64
import binascii
import re

import nbformat

from grading import cells, course
from grading.intake import terminal
from grading.outputs import safe_html, safe_markdown

IMAGES = ("image/png", "image/jpeg", "image/gif")
KEPT = ("text/plain", "text/html", "text/markdown", "text/latex", *IMAGES)
"""The kinds of output data a page may show; every other kind is removed."""
REMOVED = "[output removed: {}: a page shows only text, cleaned HTML and valid images]"
SIZE = re.compile(r"\d{1,5}(\.\d+)?")
GRADE_ID = re.compile(r"[A-Za-z0-9_-]+")
"""What a grade id may hold: nbgrader's feedback page writes it into its HTML unescaped."""


def notebook(nb, released: frozenset[str] = frozenset()) -> list[str]:
    """Make ``nb`` (a notebook node, changed in place) inert; the notes of what was removed.
    Markdown and raw cells whose text is in ``released`` (:func:`released_text`: the
    instructor's own, such as the Colab badge) are left as they are."""
    notes = []
    if nb.get("metadata", {}).pop("widgets", None) is not None:
        notes.append("the notebook's widget state was removed")
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code" and _text(cell.get("source", "")).strip() in released:
            continue
        found = _cell(cell)  # first: the grade id in the notes is the cleaned one
        notes += [f"{_where(index, cell)}: {note}" for note in found]
    return [terminal.safe(note) for note in notes]


def released_text(assignment: str) -> frozenset[str]:
    """The text of the release's markdown and raw cells, which the instructor wrote."""
    release = nbformat.read(course.paths().release(assignment), as_version=4)
    return frozenset(c.source.strip() for c in release.cells if c.cell_type != "code")


def _where(index: int, cell) -> str:
    grade_id = cells.nbgrader(cell).get("grade_id")
    return f"cell {index + 1}" + (f" ({grade_id!r})" if grade_id else "")


def _cell(cell) -> list[str]:
    notes = _attachments(cell) + _grading_metadata(cells.nbgrader(cell))
    source = _text(cell.get("source", ""))
    if cell.get("cell_type") == "markdown":
        cell["source"], found = safe_markdown.clean(source, cell.get("attachments"))
        notes += _said("the text", found)
    elif cell.get("cell_type") == "raw":
        cell["source"], found = _html(source)
        notes += _said("a raw cell", found)
    for i, output in enumerate(cell.get("outputs", [])):
        notes += [f"output {i + 1}: {note}" for note in _output(output)]
    return notes


def _grading_metadata(meta: dict) -> list[str]:
    """The grade id and the comment, which the feedback page writes as they are."""
    notes = []
    grade_id = meta.get("grade_id")
    if grade_id is not None and not GRADE_ID.fullmatch(str(grade_id)):
        meta["grade_id"] = re.sub(r"[^A-Za-z0-9_-]+", "_", str(grade_id))
        notes.append("its grade id held more than letters, digits, '_' and '-'")
    if meta.get("comment"):
        meta["comment"], found = safe_markdown.clean(_text(meta["comment"]))
        notes += _said("its comment", found)
    return notes


def _said(where: str, found: list[str]) -> list[str]:
    """One note for all that was removed from one place."""
    return [f"removed from {where}: " + ", ".join(found)] if found else []


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _output(output) -> list[str]:
    if "data" not in output:
        return []  # a stream or an error: the page escapes its text
    data, notes = output["data"], []
    for mime in list(data):
        value = data[mime]
        if mime not in KEPT or (mime in IMAGES and not _base64(value)):
            del data[mime]
            notes.append(f"{mime} removed")
        elif mime == "text/html":
            data[mime], found = _html(_text(value), value)
            notes += _said("its HTML", found)
        elif mime == "text/markdown":
            data[mime], found = safe_markdown.clean(_text(value))
            notes += _said("its markdown", found)
    if not data:
        data["text/plain"] = REMOVED.format(", ".join(n.removesuffix(" removed") for n in notes))
    output["metadata"] = _image_sizes(output.get("metadata", {}))
    return notes


def _html(html: str, original=None) -> tuple[object, list[str]]:
    """The cleaned HTML (``original`` itself where cleaning changes nothing), and what went."""
    cleaned = safe_html.clean(html)
    if cleaned == html:
        return (html if original is None else original), []
    return cleaned, safe_html.removed(html)


def _base64(value) -> bool:
    try:
        base64.b64decode(_text(value).replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _image_sizes(metadata: dict) -> dict:
    """Only what the page reads of an output's metadata: an image's width and height."""
    kept = {}
    for mime in IMAGES:
        sizes = metadata.get(mime)
        if isinstance(sizes, dict):
            found = {k: sizes[k] for k in ("width", "height") if SIZE.fullmatch(str(sizes.get(k)))}
            if found:
                kept[mime] = found
    return kept


def _attachments(cell) -> list[str]:
    """A cell's attachments, raster images only (the page puts them into ``<img>`` tags)."""
    notes = []
    for name, bundle in list((cell.get("attachments") or {}).items()):
        kept = {m: v for m, v in bundle.items() if m in IMAGES and _base64(v)}
        if kept != bundle or not safe_html.ATTACHMENT.fullmatch(f"attachment:{name}"):
            notes.append("an attachment that is not a plain image removed")
            if kept and safe_html.ATTACHMENT.fullmatch(f"attachment:{name}"):
                cell["attachments"][name] = kept
            else:
                del cell["attachments"][name]
    return notes

"""The book's structure and its executed chapters, read from ``_toc.yml`` and the build cache."""

from __future__ import annotations

import base64
import struct
from functools import cache
from pathlib import Path

import nbformat
import yaml

from export import BUILD, ROOT

CACHE = BUILD / ".jupyter_cache"
HTML = BUILD / "html"
PNG = "image/png"


class BuildMissing(RuntimeError):
    """The book build that an export reads from is missing or out of date."""


@cache
def toc() -> dict:
    """The book's ``_toc.yml``."""
    return yaml.safe_load((ROOT / "_toc.yml").read_text())


def _part_files(caption: str) -> list[str]:
    for part in toc().get("parts", []):
        if part.get("caption") == caption:
            return [entry["file"] for entry in part.get("chapters", [])]
    raise BuildMissing(f"_toc.yml has no part with caption {caption!r}")


def chapters() -> list[Path]:
    """The chapter notebooks in the book's order, relative to the repository root."""
    return [Path(f"{name}.ipynb") for name in _part_files("Chapters")]


def root_page() -> str:
    """The document name of the landing page (``intro``)."""
    return toc()["root"]


def bibliography_page() -> str:
    """The document name of the bibliography page (the last part of the book lists it)."""
    files = [entry["file"] for part in toc().get("parts", []) for entry in part.get("chapters", [])]
    names = [n for n in files if Path(n).name == "bibliography"]
    if not names:
        raise BuildMissing("_toc.yml lists no bibliography page")
    return names[0]


def executed(path: Path) -> nbformat.NotebookNode:
    """Chapter ``path`` with the outputs of its execution in the build cache merged in.

    The cache stores code cells only; this is the chapter's own notebook (markdown included) with
    each code cell's outputs from the cache. Raises BuildMissing when the cache holds no execution
    of the chapter's current source.
    """
    from jupyter_cache import get_cache

    if not CACHE.exists():
        raise BuildMissing(f"no build cache at {CACHE}: run `make book` first")
    source = nbformat.read(ROOT / path, as_version=4)
    try:
        _, merged = get_cache(CACHE).merge_match_into_notebook(source)
    except KeyError:
        raise BuildMissing(
            f"{path}: the build cache holds no execution of its current source: run `make book`"
        ) from None
    return merged


def figures(nb: nbformat.NotebookNode) -> list[str]:
    """The base64 PNG figures of an executed notebook, in order."""
    return [
        out["data"][PNG]
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if PNG in out.get("data", {})
    ]


def png_size(data: str) -> tuple[int, int]:
    """(width, height) in pixels of a base64-encoded PNG."""
    header = base64.b64decode("".join(data[:64].split())[:32])
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", header[16:24])

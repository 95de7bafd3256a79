"""The notebook conventions of the book, in one place: the tests check them, ``sync`` applies them.

Every notebook in ``book/`` and ``assignments/`` starts with

1. a markdown title cell whose first line is ``# <title>`` followed by the "Open in Colab" badge
   for exactly that notebook's path on the public repository and branch named in ``_config.yml``
   (``repository``; never the instructor's private one);
2. the setup code cell below, the same in every notebook. On Colab it installs ``utils`` from the
   public repository at the release tag of ``_config.yml`` (``repository.release``), which does
   not move during a term; when the install fails it stops with one line that says what to do.

Usage: ``python -m export.conventions sync [PATH ...]`` rewrites the badges and setup cells of
all notebooks, the sources in ``solutions/`` included (or of the given ones only), to match
``_config.yml`` (after the repository moves or a new release is set, say); a source keeps the
badge of its release in ``assignments/``. ``python -m export.conventions new PATH TITLE`` creates
a notebook with both cells.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIRS = ("book", "assignments")
COLAB = "https://colab.research.google.com"
BADGE_IMAGE = f"{COLAB}/assets/colab-badge.svg"
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\((?P<img>[^)]*)\)\]\((?P<url>[^)]*)\)")
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}

SETUP_TEMPLATE = """\
# Setup, the same in every notebook: on Colab, install the course's `utils` package first.
import sys

if "google.colab" in sys.modules:
    import importlib
    import subprocess

    RELEASE = "{release}"  # the course's release of `utils`; the course says when it changes
    package = f"git+{repo}@{{RELEASE}}"
    pip = [sys.executable, "-m", "pip", "install", "-q", package]
    if subprocess.run(pip, capture_output=True).returncode != 0:
        raise SystemExit(
            f"Could not install {{package}}: check that the runtime is online and that release "
            f"{{RELEASE}} exists, run this cell again, or ask on the course board."
        )
    importlib.invalidate_caches()

import matplotlib.pyplot as plt
import torch
from torch import nn

import utils

device = utils.setup(seed=0)"""
RELEASE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""What a release tag may look like (a git tag name without slashes or ``..``)."""


@cache
def config() -> dict:
    """The book's ``_config.yml``."""
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def repository() -> tuple[str, str]:
    """(URL without a trailing slash, branch) of the public repository, from ``_config.yml``."""
    repo = config()["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


def release() -> str:
    """The release tag (``repository.release`` in ``_config.yml``) that the setup cell installs;
    SystemExit if it is missing or not a plain tag name."""
    tag = str(config()["repository"].get("release", ""))
    if not RELEASE_RE.fullmatch(tag) or ".." in tag or tag.endswith((".", ".lock")):
        raise SystemExit(
            f"_config.yml: repository.release must name a git tag such as 2026-fall.1, not {tag!r}"
        )
    return tag


def raw_url(path: str | Path) -> str:
    """The URL of the file at ``path`` in the public repository at the release tag, as served
    raw (what a notebook opened alone in Colab can load)."""
    url, _ = repository()
    slug = url.removeprefix("https://github.com/")
    return f"https://raw.githubusercontent.com/{slug}/{release()}/{Path(path).as_posix()}"


def colab_url(path: str | Path) -> str:
    """Colab's URL for the notebook at ``path`` (relative to the repository root)."""
    url, branch = repository()
    slug = url.removeprefix("https://github.com/")
    return f"{COLAB}/github/{slug}/blob/{branch}/{Path(path).as_posix()}"


def badge(path: str | Path) -> str:
    """The markdown of the "Open in Colab" badge for ``path``."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(path)})"


def setup_source() -> str:
    """The source of the setup cell."""
    return SETUP_TEMPLATE.format(repo=repository()[0], release=release())


def notebooks() -> list[Path]:
    """Every notebook in the book and the released assignments, relative to the root."""
    found = []
    for folder in NOTEBOOK_DIRS:
        found += sorted((ROOT / folder).glob("**/*.ipynb"))
    return [p.relative_to(ROOT) for p in found if ".ipynb_checkpoints" not in p.parts]


def sources() -> list[Path]:
    """The nbgrader source notebooks (``solutions/``, absent from the public copy): the setup cell
    and the badge (of their release's path) are theirs too, so that a release carries them."""
    found = sorted((ROOT / "solutions").glob("*/*.ipynb"))
    return [p.relative_to(ROOT) for p in found if ".ipynb_checkpoints" not in p.parts]


def chapters() -> list[Path]:
    """The chapter notebooks, in order."""
    return [p for p in notebooks() if p.parts[0] == "book"]


def _title_cell(title: str, path: Path, rest: str = "") -> nbformat.NotebookNode:
    text = f"# {title}\n\n{badge(path)}"
    return nbformat.v4.new_markdown_cell(text + (f"\n\n{rest}" if rest else ""))


def setup_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode | None:
    """The notebook's setup cell: its first code cell, if that starts as the setup cell does."""
    first = next((c for c in nb.cells if c.cell_type == "code"), None)
    heading = SETUP_TEMPLATE.split("\n", 1)[0]
    return first if first is not None and first.source.startswith(heading) else None


def release_path(path: Path) -> Path:
    """Where students open ``path``: a source in ``solutions/`` is released in ``assignments/``."""
    path = Path(path)
    return Path("assignments", *path.parts[1:]) if path.parts[0] == "solutions" else path


def sync(path: Path) -> bool:
    """Make ``path``'s badge and setup cell match the conventions; True if it changed."""
    nb = nbformat.read(ROOT / path, as_version=4)
    before = nbformat.writes(nb)
    first = nb.cells[0]
    released = release_path(path)
    first.source = BADGE_RE.sub(lambda m: badge(released), first.source, count=1)
    cell = setup_cell(nb)
    if cell is not None:
        cell.source = setup_source()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    changed = nbformat.writes(nb) != before
    if changed:
        nbformat.write(nb, ROOT / path)
    return changed


def new(path: Path, title: str) -> None:
    """Create a notebook at ``path`` with the title cell and the setup cell."""
    if (ROOT / path).exists():
        raise SystemExit(f"{path} exists already; not overwriting it")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [_title_cell(title, path), nbformat.v4.new_code_cell(setup_source())]
    (ROOT / path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, ROOT / path)


def main(argv: list[str]) -> None:
    if argv[:1] == ["sync"]:
        for path in [Path(a) for a in argv[1:]] or [*sources(), *notebooks()]:
            if sync(path):
                print(f"updated {path}")
    elif argv[:1] == ["new"] and len(argv) == 3:
        new(Path(argv[1]), argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

"""The notebook conventions of the book, in one place: the tests check them, ``sync`` applies them.

Every notebook in ``book/`` and ``assignments/`` starts with

1. a markdown title cell whose first line is ``# <title>`` followed by the "Open in Colab" badge
   for exactly that notebook's path on the public repository and branch named in ``_config.yml``
   (``repository``; never the instructor's private one);
2. the setup code cell below, the same in every notebook.

Usage: ``python -m export.conventions sync`` rewrites badges and setup cells of all notebooks to
match ``_config.yml`` (after the repository moves, say); ``python -m export.conventions new PATH
TITLE`` creates a notebook with both cells.
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

    package = "git+{repo}@{branch}"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)
    importlib.invalidate_caches()

import matplotlib.pyplot as plt
import torch
from torch import nn

import utils

device = utils.setup(seed=0)"""


@cache
def config() -> dict:
    """The book's ``_config.yml``."""
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def repository() -> tuple[str, str]:
    """(URL without a trailing slash, branch) of the public repository, from ``_config.yml``."""
    repo = config()["repository"]
    return repo["url"].rstrip("/"), repo.get("branch", "main")


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
    url, branch = repository()
    return SETUP_TEMPLATE.format(repo=url, branch=branch)


def notebooks() -> list[Path]:
    """Every notebook in the book and the released assignments, relative to the root."""
    found = []
    for folder in NOTEBOOK_DIRS:
        found += sorted((ROOT / folder).glob("**/*.ipynb"))
    return [p.relative_to(ROOT) for p in found if ".ipynb_checkpoints" not in p.parts]


def chapters() -> list[Path]:
    """The chapter notebooks, in order."""
    return [p for p in notebooks() if p.parts[0] == "book"]


def _title_cell(title: str, path: Path, rest: str = "") -> nbformat.NotebookNode:
    text = f"# {title}\n\n{badge(path)}"
    return nbformat.v4.new_markdown_cell(text + (f"\n\n{rest}" if rest else ""))


def sync(path: Path) -> bool:
    """Make ``path``'s badge and setup cell match the conventions; True if it changed."""
    nb = nbformat.read(ROOT / path, as_version=4)
    before = nbformat.writes(nb)
    first = nb.cells[0]
    first.source = BADGE_RE.sub(lambda m: badge(path), first.source, count=1)
    if len(nb.cells) > 1 and nb.cells[1].cell_type == "code":
        nb.cells[1].source = setup_source()
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
        for path in notebooks():
            if sync(path):
                print(f"updated {path}")
    elif argv[:1] == ["new"] and len(argv) == 3:
        new(Path(argv[1]), argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

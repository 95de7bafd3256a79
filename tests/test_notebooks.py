"""Notebook hygiene and execution: the conventions of ``export/conventions.py``, enforced."""

from __future__ import annotations

import json

import nbformat
import pytest
import yaml

from export import conventions as conv
from tests import timings

NOTEBOOKS = conv.notebooks()
CHAPTERS = conv.chapters()
ids = [p.as_posix() for p in NOTEBOOKS]


def read(path):
    return nbformat.read(conv.ROOT / path, as_version=4)


def test_there_are_chapters():
    assert CHAPTERS, "no chapter notebooks found in book/"
    numbered = [p.name for p in CHAPTERS if not p.name.startswith("00_")]  # 00_: appendices
    assert numbered[0] == "01_introduction.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_without_outputs(path):
    raw = json.loads((conv.ROOT / path).read_text())
    dirty = [
        i
        for i, cell in enumerate(raw["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))
    ]
    assert not dirty, f"{path}: cells {dirty} carry outputs or execution counts; clear them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_valid_notebook_with_python3_kernel(path):
    nb = read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path}: kernel not python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_title_cell_has_colab_badge_for_its_own_path(path):
    first = read(path).cells[0]
    assert first.cell_type == "markdown", f"{path}: the first cell must be the title (markdown)"
    lines = first.source.splitlines()
    assert lines[0].startswith("# "), f"{path}: the first line must be a '# Title'"
    badges = conv.BADGE_RE.findall(first.source)
    assert len(badges) == 1, f"{path}: expected one 'Open in Colab' badge, found {len(badges)}"
    image, url = badges[0]
    assert image == conv.BADGE_IMAGE
    assert url == conv.colab_url(path), (
        f"{path}: badge points at {url}, expected {conv.colab_url(path)} "
        "(run `make sync-notebooks`)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_setup_cell_is_the_shared_one(path):
    cells = read(path).cells
    assert len(cells) > 1 and cells[1].cell_type == "code", f"{path}: second cell must be code"
    assert cells[1].source == conv.setup_source(), (
        f"{path}: the setup cell differs from the shared one (run `make sync-notebooks`)"
    )


def test_setup_cell_installs_the_configured_release_of_the_repository():
    url, release = conv.repository()[0], conv.release()
    assert url.startswith("https://github.com/") and url.count("/") == 4, url
    assert f'RELEASE = "{release}"' in conv.setup_source()
    assert f'"git+{url}@{{RELEASE}}"' in conv.setup_source()


def test_every_chapter_is_in_the_table_of_contents():
    toc = yaml.safe_load((conv.ROOT / "_toc.yml").read_text())
    files = {c["file"] for part in toc["parts"] for c in part["chapters"]}
    missing = [p.as_posix() for p in CHAPTERS if p.with_suffix("").as_posix() not in files]
    assert not missing, f"chapters missing from _toc.yml: {missing}"
    for file in files:
        assert any((conv.ROOT / f"{file}{ext}").exists() for ext in (".md", ".ipynb")), file


def test_conventions_sync_leaves_committed_notebooks_unchanged(tmp_path, monkeypatch):
    """`make sync-notebooks` on the committed notebooks is a no-op: they already conform."""
    for path in NOTEBOOKS:
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((conv.ROOT / path).read_bytes())
    conv.config()  # read the real _config.yml before ROOT moves
    monkeypatch.setattr(conv, "ROOT", tmp_path)
    assert [p for p in NOTEBOOKS if conv.sync(p)] == []


def test_new_notebook_follows_the_conventions(tmp_path, monkeypatch):
    conv.config()
    monkeypatch.setattr(conv, "ROOT", tmp_path)
    conv.new(conv.Path("book/99_test.ipynb"), "Chapter 99: Test")
    nb = nbformat.read(tmp_path / "book/99_test.ipynb", as_version=4)
    assert nb.cells[0].source.startswith("# Chapter 99: Test")
    assert conv.colab_url("book/99_test.ipynb") in nb.cells[0].source
    assert nb.cells[1].source == conv.setup_source()


# --- execution, read from the book build (each notebook executes once per CI run) ----------


@pytest.fixture(scope="module")
def times():
    try:
        return timings.execution_times()
    except FileNotFoundError as err:
        pytest.fail(str(err))


@pytest.mark.book
@pytest.mark.parametrize("path", CHAPTERS, ids=[p.as_posix() for p in CHAPTERS])
def test_chapter_executes_within_budget(path, times):
    """The build's wall-clock time, on a machine that other work may share, within three times the
    60-s budget (``timings.BUILD_LIMIT_S``): load moves it by a small factor, a collapse or a
    chapter that grew past its budget by more. ``make timings`` checks the budget itself quietly
    and beside a busy process."""
    seconds = times[path]
    assert seconds is not None, f"{path} was not executed by the last build: run `make book`"
    assert seconds <= timings.BUILD_LIMIT_S, (
        f"{path} took {seconds:.1f} s in the build > {timings.BUILD_LIMIT_S:.0f} s "
        f"({timings.BUDGET_S:.0f}-s budget; `make timings` measures it on a quiet machine)"
    )


@pytest.mark.book
@pytest.mark.parametrize("path", CHAPTERS, ids=[p.as_posix() for p in CHAPTERS])
def test_chapter_writes_nothing_to_stderr(path):
    """A warning in a chapter is a bug: the executed notebook has no stderr output."""
    nb = timings.executed_notebook(path)
    if nb is None:
        pytest.fail(f"{path} has no execution in the build cache: run `make book`")
    stderr = [
        (i, "".join(out.get("text", ""))[:300])
        for i, cell in enumerate(nb.cells)
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stderr"
    ]
    assert not stderr, f"{path}: stderr output in cells {stderr}"


PRIMER = conv.Path("book/00_pytorch_primer.ipynb")
PRIMER_MESSAGES = [  # the messages its prose explains, as this version of PyTorch words them
    "RuntimeError: mat1 and mat2 shapes cannot be multiplied (256x8 and 64x10)",
    "RuntimeError: mat1 and mat2 must have the same dtype, but got Double and Float",
    "RuntimeError: expected target dtype to be Long or Byte, but got Float",
    "is not on the expected device",
    "RuntimeError: a leaf Variable that requires grad is being used in an in-place operation.",
    "after backward pass 2: w.grad = 6.0",
    "training loss per epoch: fit vs the loop | exact: True",
]


@pytest.mark.book
def test_primer_shows_each_error_with_the_message_its_prose_explains():
    nb = timings.executed_notebook(PRIMER)
    if nb is None:
        pytest.fail(f"{PRIMER} has no execution in the build cache: run `make book`")
    stdout = "".join(
        out.get("text", "")
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "stream" and out.get("name") == "stdout"
    )
    missing = [m for m in PRIMER_MESSAGES if m not in stdout]
    assert not missing, f"{PRIMER}: its outputs no longer show {missing}; update the prose"

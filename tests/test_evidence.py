"""The chapters' evidence: results over every seed, committed, and the prose bound to them."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from export import evidence as export_evidence
from export.conventions import ROOT, chapters
from utils import evidence

COLLECT = re.compile(r'utils\.evidence\.collect\(\s*"(?P<chapter>[^"]+)",\s*"(?P<name>[^"]+)"')


def _collected(path):
    """The (chapter, name) of every collect call in a chapter's code."""
    nb = nbformat.read(ROOT / path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return [(m["chapter"], m["name"]) for m in COLLECT.finditer(code)]


COLLECTING = export_evidence.collecting()


def test_some_chapters_collect_evidence():
    assert COLLECTING, "no chapter calls utils.evidence.collect"


@pytest.mark.parametrize("path", COLLECTING, ids=[p.stem for p in COLLECTING])
def test_every_comparison_of_a_chapter_is_in_its_evidence_with_every_seed(path):
    calls = _collected(path)
    assert calls, f"{path}: collects evidence in a way this test cannot read"
    kept = evidence.load(path.stem)
    for chapter, name in calls:
        assert chapter == path.stem, f"{path} files its evidence under {chapter!r}"
        assert name in kept, f"{path}: {name!r} missing from utils/evidence/{chapter}.json"
        for contender, values in kept[name]["values"].items():
            assert len(values) == evidence.N_SEEDS, f"{name}/{contender}: {values}"
    assert set(kept) == {name for _, name in calls}, "evidence no chapter cell collects"


@pytest.mark.parametrize("path", chapters(), ids=[p.stem for p in chapters()])
def test_the_prose_quotes_the_evidence(path):
    assert export_evidence.check(path) == []


def test_a_number_typed_into_the_prose_is_caught():
    path = COLLECTING[0]
    nb = nbformat.read(ROOT / path, as_version=4)
    spans = [
        c for c in nb.cells if c.cell_type == "markdown" and export_evidence.SPAN.search(c.source)
    ]
    assert spans, f"{path} quotes no evidence"
    spans[0].source = export_evidence.SPAN.sub(r"\g<1>99.9%\g<4>", spans[0].source, count=1)
    wrong = export_evidence.check(path, nb)
    assert len(wrong) == 1 and "'99.9%'" in wrong[0]


def test_the_evidence_ships_with_the_package():
    config = (ROOT / "pyproject.toml").read_text()  # read as text: tomllib needs Python 3.11
    assert re.search(r'^packages = \[.*"utils\.evidence"', config, re.M)
    assert re.search(r'^utils = \[.*"evidence/\*\.json"', config, re.M)


def test_seeds_quick_full_and_evidence(monkeypatch):
    monkeypatch.delenv(evidence.SEEDS_ENV, raising=False)
    monkeypatch.setenv("ITM528_FULL_RUN", "0")
    assert evidence.seeds() == [0]
    monkeypatch.setenv("ITM528_FULL_RUN", "1")
    assert evidence.seeds() == list(range(evidence.N_SEEDS))
    monkeypatch.setenv(evidence.SEEDS_ENV, "5")
    assert evidence.seeds() == [0, 1, 2, 3, 4]
    for bad in ("0", "three", "-1"):
        monkeypatch.setenv(evidence.SEEDS_ENV, bad)
        with pytest.raises(ValueError, match=evidence.SEEDS_ENV):
            evidence.seeds()


def test_every_seed_live_writes_the_file_in_the_chapters_order(monkeypatch, tmp_path):
    monkeypatch.setenv(evidence.SEEDS_ENV, "3")
    monkeypatch.setenv(evidence.OUT_ENV, str(tmp_path))
    values = {"small": [0.5, 0.6, 0.7], "big": [0.9, 0.8, 1.0]}
    assert evidence.collect("demo", "task", values, fmt="{:.0%}") == values
    evidence.collect("demo", "other", {"a": [1, 2, 3]})
    written = json.loads((tmp_path / "demo.json").read_text())
    assert list(written) == ["task", "other"]
    assert list(written["task"]["values"]) == ["small", "big"]
    assert written["task"]["format"] == "{:.0%}"
    assert evidence.summary(written["task"]["values"]["big"], "{:.0%}") == "90% (80%–100%)"


def test_the_quick_run_reads_the_committed_seeds(monkeypatch):
    monkeypatch.setenv(evidence.SEEDS_ENV, "1")
    chapter = COLLECTING[0].stem
    name, entry = next(iter(evidence.load(chapter).items()))
    contenders = list(entry["values"])[::-1]  # asked for in another order
    got = evidence.collect(chapter, name, {c: [0.0] for c in contenders})
    assert list(got) == contenders
    assert all(len(v) == evidence.N_SEEDS for v in got.values())
    with pytest.raises(ValueError, match="values for 1 seeds"):
        evidence.collect(chapter, name, {c: [0.0, 1.0] for c in contenders})
    with pytest.raises(KeyError, match="make evidence"):
        evidence.collect(chapter, "no such comparison", {"a": [0.0]})
    with pytest.raises(FileNotFoundError, match="make evidence"):
        evidence.load("no_such_chapter")

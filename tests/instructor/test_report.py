"""The class report, grades/<id>.html, on a class written by hand (no grader run): totals, parts,
grouped failures, similarity, time and notes, in headless Chromium and in Python.

The class holds two disguised copies of the reference (renamed variables, reordered functions:
flagged), two correct solutions written independently of each other and of the reference (not
flagged), two blank submissions (the template alone: not flagged), one failure with differing
numbers twice, Hangul names and names with spaces, and a student without a readable notebook.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grading import cells, course
from grading.outputs import report, report_data, similarity
from tests.conftest import watch
from tests.instructor import report_solutions as sol
from tests.instructor.report_course import A1, Student, release, write_course


def _differ(diff: str, index: str, got: str, expected: str) -> tuple[str, str]:
    return ("AssertionError", f"conv2d_naive(x, w, b, stride=1, padding=1): values differ (max "
            f"abs difference {diff}); at index {index} got {got}, expected {expected}")  # fmt: skip


NOT_IMPLEMENTED = ("NotImplementedError", "")
TESTS = ["test_conv2d_naive", "test_conv2d_im2col", "test_max_pool2d", "test_conv2d_backward",
         "test_residual_block", "test_train_cnn"]  # fmt: skip
BLANK = {t: NOT_IMPLEMENTED for t in TESTS}
OWN_WRONG_CONV = '''\
def conv2d_naive(x, w, b=None, stride=1, padding=0):
    """2-D convolution with loops over output positions: (N, C, H, W) -> (N, F, H', W')."""
    return F.conv2d(x, w, b, stride=stride, padding=padding) * 1.1
'''
COPY_A, COPY_B = "김민준", "Park Ji woo"
INDEPENDENT = ["이 서연", "Anna Lee"]
WRITTEN = {"written_answer"}
DIFFER_A = _differ("0.31", "(0, 1, 2, 3)", "1.52", "1.21")
DIFFER_B = _differ("0.27", "(1, 0, 4, 4)", "-0.4", "-0.13")
CLASS = [
    Student(COPY_A, sol.disguised_copy(0), awaiting=WRITTEN, seconds=41.2),
    Student(COPY_B, sol.disguised_copy(1), partial={"written_answer": 7.0}, seconds=39.8),
    Student(INDEPENDENT[0], sol.INDEPENDENT_B,
            partial={"written_answer": 9.0, "test_train_cnn": 10.0}, seconds=55.0,
            notes="cell 'test_max_pool2d' had lost its grading metadata; restored"),
    Student(INDEPENDENT[1], sol.INDEPENDENT_C, awaiting=WRITTEN, seconds=47.5,
            added=["def helper():\n    return 'my own notes'\n"]),
    Student("choi", {"conv2d_naive": OWN_WRONG_CONV},
            failures={**BLANK, "test_conv2d_naive": DIFFER_A}, awaiting=WRITTEN, seconds=12.5),
    Student("jung", failures={**BLANK, "test_conv2d_naive": DIFFER_B}, awaiting=WRITTEN,
            seconds=11.0, notes="late by 2 h; penalty 10 %"),
    Student("kang", failures=BLANK, awaiting=WRITTEN, seconds=9.4),
    Student("seo min", failures=BLANK, awaiting=WRITTEN, seconds=9.9,
            notes="tests that did not run score 0: test_train_cnn"),
    Student("oh", seconds=None, notebook=False,
            notes="not a readable notebook (JSONDecodeError); graded 0"),
]  # fmt: skip


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    write_course(root, CLASS)
    return root, report.write(A1, root)


def _csv(root: Path) -> list[dict[str, str]]:
    with (root / "grades" / f"{A1}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# -- the solutions behind the similarity tests really are correct and really are independent --
@pytest.mark.parametrize("which", ["B", "C", "copy0", "copy1"])
def test_the_fixture_solutions_are_correct(which):
    cells = {"B": sol.INDEPENDENT_B, "C": sol.INDEPENDENT_C, "copy0": sol.disguised_copy(0),
             "copy1": sol.disguised_copy(1)}[which]  # fmt: skip
    ns = {"torch": torch, "nn": nn, "F": F, "device": "cpu"}
    for source in cells.values():
        exec(source, ns)
    g = torch.Generator().manual_seed(0)
    for N, C, H, W, Fo, KH, KW, s, p in [(2, 3, 8, 6, 5, 3, 3, 2, 1), (1, 3, 11, 7, 2, 4, 2, 3, 1)]:
        x = torch.randn(N, C, H, W, generator=g, dtype=torch.float64, requires_grad=True)
        w = torch.randn(Fo, C, KH, KW, generator=g, dtype=torch.float64, requires_grad=True)
        b = torch.randn(Fo, generator=g, dtype=torch.float64, requires_grad=True)
        y = F.conv2d(x, w, b, stride=s, padding=p)
        for name in ("conv2d_naive", "conv2d_im2col"):
            assert torch.allclose(ns[name](x, w, b, stride=s, padding=p), y), name
        dout = torch.randn(y.shape, generator=g, dtype=torch.float64)
        (y * dout).sum().backward()
        grads = ns["conv2d_backward"](dout, x.detach(), w.detach(), stride=s, padding=p)
        for got, want in zip(grads, (x.grad, w.grad, b.grad)):
            assert torch.allclose(got, want)
    for size, stride in [(2, None), (3, 2), (2, 3)]:
        x = torch.randn(2, 3, 9, 7, generator=g)
        assert torch.equal(ns["max_pool2d"](x, size, stride), F.max_pool2d(x, size, stride))
    same, down = ns["ResidualBlock"](8, 8), ns["ResidualBlock"](8, 16, stride=2)
    assert isinstance(same.shortcut, nn.Identity) and not isinstance(down.shortcut, nn.Identity)
    assert down(torch.randn(2, 8, 10, 10)).shape == (2, 16, 5, 5)
    assert ns["build_cnn"]()(torch.randn(3, 1, 8, 8)).shape == (3, 10)


def _code(cells: dict[str, str]) -> str:
    return similarity.solution_code(release() | {"cells": [
        c | {"source": cells.get(c["metadata"].get("nbgrader", {}).get("grade_id"), c["source"])}
        for c in release()["cells"]]}, release())  # fmt: skip


def test_copies_are_flagged_and_independent_solutions_are_not():
    code = {"copy0": _code(sol.disguised_copy(0)), "copy1": _code(sol.disguised_copy(1)),
            "ref": _code(sol.reference()), "B": _code(sol.INDEPENDENT_B),
            "C": _code(sol.INDEPENDENT_C), "blank": _code({}), "blank2": _code({})}  # fmt: skip
    pairs = {
        (p.first, p.second): p
        for p in similarity.compare(code, similarity.template_code(release()))
    }
    flagged = {(p.first, p.second) for p in similarity.flagged(pairs.values())}
    assert flagged == {("copy0", "copy1"), ("copy0", "ref"), ("copy1", "ref")}, pairs
    assert pairs[("copy0", "copy1")].score >= 0.95
    for pair in [("B", "C"), ("B", "ref"), ("C", "ref"), ("B", "copy0"), ("C", "copy1")]:
        key = pair if pair in pairs else pair[::-1]
        assert key not in pairs or pairs[key].score < similarity.THRESHOLD - 0.2, pairs[key]
    assert not any("blank" in k for k in pairs), "the template alone made submissions alike"


def test_numbers_are_normalised_but_names_keep_their_digits():
    a = report_data.normalise("conv2d_naive: values differ (max abs difference 0.31) at (0, 1)")
    b = report_data.normalise("conv2d_naive: values differ (max abs difference 2.7e-01) at (1, 0)")
    assert a == b == "conv2d_naive: values differ (max abs difference #) at (#, #)"


def test_failures_are_grouped_with_counts(graded):
    root, _ = graded
    rel = release()
    tests = {p.grade_id for p in cells.parts(rel) if not p.manual}
    per_student = {}
    for s in CLASS:
        nb = report_data.read_json(report_data.notebook_path(root / "autograded", s.name, A1))
        if nb is not None:
            per_student[s.name] = report_data.failures(nb, tests)
    groups = report_data.group_failures(per_student)["test_conv2d_naive"]
    assert [len(g.students) for g in groups] == [2, 2]
    differ = next(g for g in groups if "values differ" in g.pattern)
    assert differ.students == ["choi", "jung"] and len(differ.examples) == 2
    assert {g.pattern for g in groups} >= {"NotImplementedError"}
    assert report_data.group_failures(per_student)["test_max_pool2d"][0].students == [
        "choi", "jung", "kang", "seo min"]  # fmt: skip


def test_the_module_runs_from_the_command_line(graded, tmp_path):
    root, _ = graded
    done = subprocess.run([sys.executable, "-m", "grading.outputs.report", A1, "--root", str(root)],
                          cwd=course.ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout and (root / "grades" / f"{A1}.html").exists()
    missing = subprocess.run(
        [sys.executable, "-m", "grading.outputs.report", A1, "--root", str(tmp_path)],
        cwd=course.ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert missing.returncode != 0 and "grade a1_cnn first" in missing.stderr


def test_totals_are_final_scores_where_the_csv_has_them(graded, tmp_path):
    root, _ = graded
    shutil.copytree(root, tmp_path / "course")
    rows = _csv(root)
    for r in rows:
        r["final_score"] = str(float(r["score"]) - 10 * (r["student"] == COPY_B))
    with (tmp_path / "course" / "grades" / f"{A1}.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, [*rows[0], "final_score"][::-1])  # any column order
        writer.writeheader()
        writer.writerows(rows)
    text = report.build(A1, tmp_path / "course")
    assert '0-5: 5, 85-90: 2, 90-95: 2"' in text  # 97 - 10 = 87: the histogram's last bin
    assert "mean final score (of 100)" in text


def test_the_page_is_self_contained(graded):
    _, page = graded
    text = page.read_text(encoding="utf-8")
    for external in ("http://", "https://", "<script", 'src="/', "url("):
        assert external not in text, external


# -- in the browser -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def page(browser, graded):
    """The class report open in headless Chromium, with the problems it caused."""
    _, path = graded
    tab = browser.new_page()
    problems = watch(tab)

    def route(r):
        if r.request.url == path.as_uri():
            r.continue_()
        else:
            problems.append(f"request outside the page: {r.request.url}")
            r.abort()

    tab.route("**/*", route)
    tab.goto(path.as_uri(), wait_until="load")
    yield tab, problems
    tab.close()


def _rows(tab, selector: str) -> list[list[str]]:
    return tab.eval_on_selector_all(
        f"{selector} tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))",
    )


def test_the_page_loads_cleanly_with_every_figure(page):
    tab, problems = page
    images = tab.eval_on_selector_all(
        "img", "imgs => imgs.map(i => [i.complete && i.naturalWidth > 0, i.alt])"
    )
    assert not problems, problems
    assert all(ok for ok, _ in images), images
    parts = len(cells.parts(release()))
    assert len(images) == 1 + parts + 1, [alt for _, alt in images]  # totals, parts, time
    alts = [alt for _, alt in images]
    assert alts[0].startswith("Histogram of totals (9 submissions)")
    assert any(
        a.startswith("Scores of written_answer") and "awaiting grading: 6" in a for a in alts
    )


def test_the_tables_match_the_csv(graded, page):
    root, _ = graded
    tab, _ = page
    rows = sorted(_csv(root), key=lambda r: r["student"])
    header = tab.eval_on_selector_all("#submissions thead th", "ths => ths.map(t => t.innerText)")
    assert header == list(rows[0])
    assert _rows(tab, "#submissions") == [list(r.values()) for r in rows]
    cards = dict(tab.eval_on_selector_all(
        ".card", "cs => cs.map(c => [c.dataset.key, c.querySelector('b').innerText])"))  # fmt: skip
    totals = sorted(float(r["score"]) for r in rows)
    assert cards["submissions"] == "9" and cards["flagged pairs"] == "1"
    assert float(cards["median"]) == totals[4]
    assert abs(float(cards["mean (of 100)"]) - sum(totals) / 9) < 0.05
    by_part = {r[0]: r for r in _rows(tab, "#parts-table")}
    for part in cells.parts(release()):
        scored = [float(r[part.grade_id]) for r in rows if r[part.grade_id] != ""]
        scored += [0.0] * sum(r[part.grade_id] == "" for r in rows) * (not part.manual)
        full = sum(v >= part.points for v in scored)
        assert by_part[part.grade_id][4] == f"{full / len(scored):.0%}", by_part[part.grade_id]
    notes = {r[0]: r[1] for r in _rows(tab, "#notes")}
    assert notes == {r["student"]: r["notes"] for r in rows if r["notes"]}
    slowest = _rows(tab, "#slowest")
    assert slowest[0] == [INDEPENDENT[0], "55"] and len(slowest) == 8  # "oh" has no time


def test_the_page_shows_grouped_failures_and_the_flagged_pair(page):
    tab, _ = page
    failures = _rows(tab, "#failures-test_conv2d_naive + table")
    differ = next(r for r in failures if "values differ" in r[1])
    assert differ[0] == "2" and "max abs difference #" in differ[1] and "choi, jung" in differ[2]
    assert [r[:2] for r in _rows(tab, "#flagged-pairs")] == [sorted([COPY_A, COPY_B])]
    for row in _rows(tab, "#closest-pairs"):  # pairs below the threshold, for calibration
        assert max(float(v.rstrip("%")) for v in row[2].split(", ")) < 100 * similarity.THRESHOLD
    excerpts = tab.eval_on_selector_all("details.pair pre", "ps => ps.map(p => p.textContent)")
    marks = tab.eval_on_selector_all("details.pair mark", "ms => ms.length")
    assert len(excerpts) == 2 and marks >= 2
    marked = tab.eval_on_selector_all(
        "details.pair pre",
        "ps => ps.map(p => [...p.querySelectorAll('mark')].map(m => m.textContent).join(''))",
    )
    assert all("torch.einsum" in m and "F.unfold" in m for m in marked), marked
    for excerpt in excerpts:  # the copied loop of conv2d_naive, under its new names
        assert 'torch.einsum("nckl,fckl->nf"' in excerpt and "for i in range(" in excerpt

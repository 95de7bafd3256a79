"""The checker holds on its own: the attacks on the verdict, graded with the static rules off.

The hostile batch shows that each attack scores nothing; most of them are stopped first by the
static rules of :mod:`utils.policy`, before the checker's verdicts matter. Here the rules are
switched off (in this process, for these runs only) and each attacker is graded in a sandbox as
a worker grades it, with the hidden tests taken out of the notebook and run by the checker: what
the kernel prints, hides, clears or patches must earn no part on its own. The one attack the
checker cannot see (PyTorch's own convolution with torch-function dispatch off: a right answer
and an empty call trace) is stopped by the part's rule read on the source (:mod:`utils.how`).
"""

from __future__ import annotations

import nbformat
import pytest

from grading.check import hidden
from grading.run import verdict, worker
from tests.instructor.test_hostile_batch import ENCODED_ECHO, VERDICT_ATTACKS, attacker
from tests.instructor.test_nbgrader_pipeline import (
    A1,
    answered,
    release_nb,
    secret_lines,
    source_nb,
)


def restored(nb):
    """``nb`` with its test cells as the coordinator restores them (hidden tests included)."""
    graded = [c for c in source_nb(A1).cells if c.metadata.get("nbgrader", {}).get("grade")]
    tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in graded}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            cell.source = tests[meta["grade_id"]]
    return nb


def points(outcome) -> dict[str, float]:
    """What each part earned, read as nbgrader reads the verdict's outputs."""
    earned = {}
    for cell in outcome.notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        outputs = cell["outputs"]
        if any(o["output_type"] == "error" for o in outputs):
            earned[meta["grade_id"]] = 0.0
            continue
        results = [o for o in outputs if o["output_type"] == "execute_result"]
        earned[meta["grade_id"]] = (float(results[0]["data"]["text/plain"]) if results
                                    else float(meta["points"]))  # fmt: skip
    return earned


def grade_without_rules(nb, monkeypatch) -> tuple[dict[str, float], object]:
    monkeypatch.setattr(verdict, "findings", lambda nb: [])
    nb = restored(nb)
    checks = hidden.split(nb)
    outcome = worker.grade(worker.Job(A1, "attacker", dict(nb), checks, salt=1))
    return points(outcome), outcome


@pytest.fixture(scope="module")
def blank(sandboxed):
    """What the blank release earns: nothing."""
    with pytest.MonkeyPatch.context() as mp:
        earned = grade_without_rules(release_nb(A1), mp)[0]
    assert set(earned.values()) == {0.0}
    return earned


CHECKER_HOLDS = sorted(set(VERDICT_ATTACKS) - {"attack_dispatch"})


@pytest.mark.parametrize("name", CHECKER_HOLDS)
def test_an_attack_on_the_verdict_earns_nothing_with_the_rules_off(sandboxed, blank, name,
                                                                    monkeypatch):  # fmt: skip
    earned, outcome = grade_without_rules(attacker(name, 0), monkeypatch)
    gained = {part: p for part, p in earned.items() if p > blank[part]}
    assert gained == {}, f"{name} earned {gained} without the static rules"


def test_the_history_printed_in_encodings_holds_no_hidden_test(sandboxed, monkeypatch):
    nb = answered(A1)
    nb.cells.append(nbformat.v4.new_code_cell(ENCODED_ECHO))
    earned, outcome = grade_without_rules(nb, monkeypatch)
    assert sum(earned.values()) == 90.0  # the reference answers, checked as usual
    printed = "".join(o.get("text", "") for o in outcome.notebook["cells"][-1]["outputs"])
    assert "GRADER.verify()" in printed  # the visible tests are in the history
    lines = [line for line in secret_lines(A1, ("hidden",)) if len(line) > 12]
    assert lines and [line for line in lines if line in printed] == []


def test_dispatch_switched_off_is_stopped_by_the_part_s_rule_on_the_source(sandboxed,
                                                                          monkeypatch):  # fmt: skip
    nb = attacker("attack_dispatch", 0)
    assert verdict.findings(nb), "the policy finds torch._C"
    earned, outcome = grade_without_rules(nb, monkeypatch)  # the policy off, the part's rule on
    assert earned["test_conv2d_naive"] == 0.0
    assert any(n.startswith("rule: ") and "uses conv2d" in n for n in outcome.notes), outcome.notes

"""The rules of how a part computes, read on the source (utils.how): what a part's own cells may
not name costs that part, a helper the student added goes to a TA's review, and the released
notebooks, the reference answers and the check before submitting agree with them."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from utils import how
from utils.handin import check_notebook

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("a1_cnn", "a2_rnn", "a3_transformer", "a4_generative")


def release(assignment: str = "a1_cnn") -> dict:
    return json.loads((ROOT / "assignments" / assignment / f"{assignment}.ipynb").read_text())


def answer(nb: dict, grade_id: str, code: str) -> None:
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = code
            return
    raise KeyError(grade_id)


def added(nb: dict, code: str, after: str = "grader") -> None:
    """A code cell of the student's right after the cell ``after``."""
    at = next(i for i, c in enumerate(nb["cells"])
              if c["metadata"].get("nbgrader", {}).get("grade_id") == after)  # fmt: skip
    nb["cells"].insert(at + 1, nbformat.v4.new_code_cell(code))


NAIVE_WITH_CONV = (
    "def conv2d_naive(x, w, b=None, stride=1, padding=0):\n"
    "    return F.conv2d(x, w, b, stride=stride, padding=padding)\n"
)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_releases_break_no_rule(assignment):
    assert how.broken(release(assignment)) == []


@pytest.mark.skipif(not (ROOT / "solutions").exists(), reason="no solutions in the public copy")
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_answers_break_no_rule(assignment):
    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", 4)
    assert how.broken(source) == []


@pytest.mark.parametrize("code", [
    NAIVE_WITH_CONV,
    "from torch.nn.functional import conv2d as c\n\ndef conv2d_naive(x, w, b=None, stride=1, "
    "padding=0):\n    return c(x, w, b, stride, padding)\n",
    "def conv2d_naive(x, w, b=None, stride=1, padding=0):\n"
    "    return getattr(torch, 'convolution')(x, w, b, (stride,) * 2, (padding,) * 2, (1, 1), "
    "False, (0, 0), 1)\n",
    "    def conv2d_naive(x, w, b=None, stride=1, padding=0):\n"  # indented: IPython runs it
    "        return torch.nn.functional.conv2d(x, w, b, stride, padding)\n",
])  # fmt: skip
def test_a_forbidden_name_in_the_part_s_own_answer_costs_that_part(code):
    nb = release()
    answer(nb, "conv2d_naive", code)
    found = how.broken(nb)
    assert [(b.test, b.costs) for b in found] == [("test_conv2d_naive", True)]
    assert "this part scores 0" in how.message(found[0])


def test_the_answer_moved_into_a_cell_of_the_student_s_is_still_the_part_s():
    nb = release()
    added(nb, NAIVE_WITH_CONV, after="conv2d_naive")  # it replaces the answer at run time
    found = [b for b in how.broken(nb) if b.test == "test_conv2d_naive"]
    assert [b.costs for b in found] == [True]


def test_a_helper_of_the_student_s_goes_to_review_and_costs_nothing():
    nb = release()
    added(nb, "def helper(x, w):\n    return F.conv2d(x, w)\n")
    found = how.broken(nb)
    assert {b.test for b in found} == {"test_conv2d_naive", "test_conv2d_im2col",
                                       "test_conv2d_backward"}  # fmt: skip
    assert not any(b.costs for b in found)
    assert all("for a TA to review" in how.message(b) for b in found)


def test_names_of_the_student_s_own_and_of_other_parts_are_not_read_as_calls():
    nb = release()
    answer(nb, "conv2d_naive", "def conv2d_naive(x, w, b=None, stride=1, padding=0):\n"
           "    conv_out = x.new_zeros(1)\n    return conv_out\n")  # fmt: skip
    answer(nb, "residual_block", "class ResidualBlock(nn.Module):\n    def __init__(self):\n"
           "        super().__init__()\n        self.conv1 = nn.Conv2d(1, 1, 3)\n")  # fmt: skip
    assert how.broken(nb) == []


def test_the_check_before_submitting_says_what_the_rule_costs():
    nb = release()
    answer(nb, "conv2d_naive", NAIVE_WITH_CONV)
    report = check_notebook(nb, "a1_cnn", "a1_cnn.ipynb", run=False)
    rules = [item for item in report.items if item.kind == "rule"]
    assert len(rules) == 1 and rules[0].costs == ["test_conv2d_naive"]

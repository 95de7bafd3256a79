"""The static policy of the verdict: honest answers pass it, every tampering construct is found."""

from __future__ import annotations

import nbformat
import pytest

from grading.run import verdict
from tests.instructor.test_nbgrader_pipeline import ASSIGNMENTS, answered, cell_of, release_nb
from tests.instructor.test_verdict_limits import all_passed
from utils import graded, policy

HONEST = [
    "import torch\nimport torch.nn.functional as F\nfrom torch import nn\nimport numpy as np",
    "import sys, warnings\nwarnings.warn('slow')\nprint('debug', file=sys.stderr)",
    "import os\npath = os.path.join('a', 'b')",
    "from collections import defaultdict\nimport math, itertools, functools, random, time",
    "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.fc = nn.Linear(2, 2)\n        self.fc.weight.data.zero_()",
    "torch.backends.cudnn.benchmark = True\nplt.rcParams['figure.figsize'] = (4, 3)",
    "%matplotlib inline\nx = torch.load('model.pt', weights_only=True)",
    "model = torch.compile(model) if False else model\nnames = getattr(model, 'name', None)",
    "import utils\nutils.set_seed(0)\nfrom utils.training import fit",
]

TAMPERING = {
    "GRADER = object()": "uses GRADER",
    "global GRADER": "rebinds GRADER",
    "import utils.grading": "imports utils.grading",
    "from utils import grading": "imports utils.grading",
    "utils.grading.Grader.verify = None": "uses .grading",
    "torch.allclose = lambda *a, **k: True": "changes torch.allclose",
    "F.conv2d = my_conv": "changes F.conv2d",
    "nn.Module.__call__ = f": "changes nn.Module.__call__",
    "import builtins": "imports builtins",
    "import importlib": "imports importlib",
    "import ctypes": "imports ctypes",
    "import subprocess": "imports subprocess",
    "import my_helpers": "imports my_helpers",
    "import marshal, types": "imports marshal",
    "import sys\nsys.modules['utils.grading'] = fake": "uses sys.modules",
    "import sys\nsys.settrace(f)": "uses sys.settrace",
    "from sys import settrace": "imports sys.settrace",
    "import sys\nsys.path.insert(0, '/scratch')": "uses sys.path",
    "exec('x = 1')": "uses exec",
    "run = getattr(__builtins__, 'ex' + 'ec')": "uses __builtins__",
    "vars(torch)['allclose'] = f": "uses vars",
    "torch.__dict__['allclose'] = f": "uses .__dict__",
    "setattr(torch, 'allclose', f)": "uses setattr",
    "get_ipython().input_transformers_cleanup.append(f)": "uses get_ipython",
    "!pip install x": "an IPython magic or shell command",
    "%run evil.py": "an IPython magic or shell command",
    "def f(frame, event, arg):\n    frame.f_lineno = 3": "uses .f_lineno",
    "f.__code__ = g.__code__": "uses .__code__",
    "from torch.overrides import TorchFunctionMode": "imports torch.overrides",
    "class M(torch.overrides.TorchFunctionMode): pass": "uses torch.overrides",
    "x = torch.load(buf, weights_only=False)": "loads with weights_only=False",
    "x = np.load(buf, allow_pickle=True)": "loads with allow_pickle=True",
    "from torch.utils.cpp_extension import load_inline": "imports torch.utils.cpp_extension",
    "getattr(sys, 'modules')['x'].y = 1": "changes getattr(sys, 'modules')['x'].y",
}


@pytest.mark.parametrize("source", HONEST)
def test_honest_code_passes(source):
    assert policy.scan(source) == []


@pytest.mark.parametrize("source", TAMPERING)
def test_tampering_is_found(source):
    preamble = "import torch, numpy as np\nfrom torch import nn\nimport torch.nn.functional as F\n"
    found = [what for _, what in policy.scan(preamble + source)]
    assert TAMPERING[source] in found


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_references_and_releases_have_no_finding(assignment):
    assert graded.findings(answered(assignment)) == []
    assert graded.findings(release_nb(assignment)) == []


def test_every_test_after_a_finding_scores_zero():
    nb = answered("a1_cnn")
    for cell in nb.cells:  # as executed: every cell ran, without an error
        if cell.cell_type == "code":
            cell.execution_count, cell.outputs = 1, []
    at = nb.cells.index(cell_of(nb, "max_pool2d"))
    nb.cells.insert(at, nbformat.v4.new_code_cell("torch.allclose = lambda *a, **k: True"))
    notes = verdict.decide(nb, all_passed(nb))
    errors = {
        c.metadata["nbgrader"]["grade_id"]: c.outputs[-1].get("ename") if c.outputs else None
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
    }
    assert errors["test_conv2d_naive"] is None and errors["test_conv2d_im2col"] is None
    assert errors["test_max_pool2d"] == "TamperingError"
    assert errors["test_train_cnn"] == "TamperingError"
    assert "changes torch.allclose" in notes[0]


def test_a_test_that_did_not_run_scores_zero():
    nb = answered("a1_cnn")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.execution_count, cell.outputs = 1, []
    verdicts = all_passed(nb)
    del verdicts["test_train_cnn"]  # the notebook stopped before the checker ran it
    notes = verdict.decide(nb, verdicts)
    assert cell_of(nb, "test_train_cnn").outputs[-1]["ename"] == "NotExecuted"
    assert notes == ["tests that did not run score 0: test_train_cnn"]

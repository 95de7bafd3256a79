"""The checker's protocol against a real kernel: what crosses, what comes back, and what a
hostile kernel can and cannot make of it.

A kernel of this machine (no sandbox: the protocol is under test, not the confinement) runs a
few definitions; the checker's :class:`KernelTarget` drives it as it drives a student's kernel.
"""

from __future__ import annotations

import nbformat
import pytest
import torch
from jupyter_client.manager import start_new_kernel

from grading import course
from grading.check import hidden
from grading.check.grader import CheckGrader
from grading.check.remote import KernelTarget, Remote, RemoteError
from grading.check.runner import check
from tests.instructor.test_nbgrader_pipeline import A1, secret_lines

NOTEBOOK = """
import torch
from torch import nn
import utils.agent

def double(x):
    return 2 * x

class Mine(Exception):
    pass

def raises_mine():
    raise Mine("the hidden tests are: ...")

def raises_value():
    raise ValueError("a message of the notebook's")

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)

    def forward(self, x):
        return self.lin(x)
"""


@pytest.fixture(scope="module")
def kernel():
    km, kc = start_new_kernel(kernel_name="python3")
    reply = kc.execute_interactive(NOTEBOOK, timeout=60)
    assert reply["content"]["status"] == "ok"
    target = KernelTarget(km.get_connection_info(), seconds=20)
    yield kc, target
    target.close()
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_tensors_cross_as_data_and_say_what_they_were(kernel):
    _, target = kernel
    x = torch.randn(4, 3)
    got = Remote(target, "double")(x)
    assert type(got) is torch.Tensor and torch.equal(got, 2 * x)
    assert CheckGrader.where(got).device == "cpu" and CheckGrader.where(got).dtype == "float32"


def test_a_module_stays_in_the_kernel_behind_a_reference(kernel):
    _, target = kernel
    net = CheckGrader.call(Remote(target, "Net"), seed=0)
    assert isinstance(net, Remote) and net._type.endswith("Net")
    info = CheckGrader.describe(net)
    assert sorted(info["parameters"]) == ["lin.bias", "lin.weight"]
    x = torch.randn(5, 3)
    expected = (
        x.double() @ info["parameters"]["lin.weight"].double().T
        + info["parameters"]["lin.bias"].double()
    )
    assert torch.allclose(net(x).double(), expected, atol=1e-5)
    CheckGrader.load(net, {"lin.bias": torch.zeros(2)})
    assert torch.equal(CheckGrader.describe(net)["parameters"]["lin.bias"], torch.zeros(2))


def test_gradients_through_kept_tensors(kernel):
    _, target = kernel
    x = CheckGrader.keep(Remote(target, "double"), torch.randn(3, requires_grad=True))
    out = CheckGrader.call(Remote(target, "double"), x, keep=True)
    CheckGrader.backward([out], [torch.ones(3)])
    assert torch.equal(CheckGrader.grad([x])[0], torch.full((3,), 2.0))


def test_a_failure_names_only_python_s_and_pytorch_s_own_exceptions(kernel):
    _, target = kernel
    with pytest.raises(RemoteError, match="raised ValueError$"):
        Remote(target, "raises_value")()
    with pytest.raises(RemoteError) as failed:
        Remote(target, "raises_mine")()
    assert "Mine" not in str(failed.value) and "hidden" not in str(failed.value)


def test_nothing_the_checker_asks_enters_the_input_history(kernel):
    _, target = kernel
    Remote(target, "double")(torch.ones(2))
    history = CheckGrader.get(Remote(target, "In"))
    assert any("def double" in line for line in history)  # the notebook's own cells are there
    assert not any("serve(" in line or "agent" in line.split("import")[0] for line in history)


def test_a_kernel_that_answers_garbage_or_too_much_fails_the_check_not_the_checker(kernel):
    kc, target = kernel
    kc.execute_interactive("utils.agent._saved = utils.agent.serve\n"
                           "utils.agent.serve = lambda p: 'not base64!'", timeout=30)  # fmt: skip
    verdict = check("double(torch.ones(2))", target, salt=0)
    assert not verdict.passed and "did not answer the check" in verdict.message
    kc.execute_interactive("utils.agent.serve = utils.agent._saved", timeout=30)
    assert check("GRADER.expect_tensor('x', double(torch.ones(2)))", target, salt=0).passed
    # a reply larger than any message may be is dropped unread: the request runs out of time,
    # and a kernel that then answers nothing more fails the later checks
    target.seconds = 5
    kc.execute_interactive("utils.agent.serve = lambda p: 'A' * (200 * 2**20)", timeout=60)
    verdict = check("double(torch.ones(2))", target, salt=0)
    assert not verdict.passed and "did not answer within 5 s" in verdict.message
    later = check("double(torch.ones(2))", target, salt=0)
    assert not later.passed and later.seconds < 16  # at most one more time limit, never a hang


def test_after_the_checks_the_kernel_s_whole_history_holds_no_hidden_test():
    """Assignment 1's reference run in a kernel, every part checked by its hidden tests, then the
    kernel's input history read: its own cells are there, no hidden-test line is."""
    nb = nbformat.read(course.paths().source(A1), 4)
    checks = hidden.split(nb)
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        for cell in nb.cells:
            if cell.cell_type == "code" and "handin import" not in cell.source:
                kc.execute_interactive(cell.source, timeout=300, output_hook=lambda msg: None)
        target = KernelTarget(km.get_connection_info(), seconds=120)
        verdicts = {part: check(code, target, salt=5) for part, code in checks.items()}
        history = "\n".join(CheckGrader.get(Remote(target, "In")))
        target.close()
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert all(v.passed for v in verdicts.values()), verdicts
    assert "GRADER.verify()" in history
    lines = [line for line in secret_lines(A1, ("hidden",)) if len(line) > 12]
    assert lines and [line for line in lines if line in history] == []

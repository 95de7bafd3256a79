"""utils.grading: the checks the assignments' tests are built on."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from utils import grading


@pytest.fixture
def grader():
    return grading.Grader(torch.device("cpu"))


def test_randn_is_seeded_locally_and_leaves_the_global_stream_alone(grader):
    state = torch.random.get_rng_state()
    a, b = grader.randn(3, 2, 4), grader.randn(3, 2, 4)
    assert torch.equal(a, b) and a.shape == (2, 4) and a.dtype == torch.float32
    assert not torch.equal(a, grader.randn(4, 2, 4))
    assert torch.equal(state, torch.random.get_rng_state())
    assert grader.randn(0, 3, requires_grad=True).requires_grad


def test_expect_tensor_wants_exactly_a_tensor_of_the_shape(grader):
    grader.expect_tensor("y", torch.zeros(2, 3), (2, 3))
    with pytest.raises(AssertionError, match=r"y: expected shape \(2, 3\), got \(3, 2\)"):
        grader.expect_tensor("y", torch.zeros(3, 2), (2, 3))
    with pytest.raises(AssertionError, match="expected a torch.Tensor, got list"):
        grader.expect_tensor("y", [[0.0]], (1, 1))

    class AlwaysEqual(torch.Tensor):
        def __eq__(self, other):
            return True

    with pytest.raises(AssertionError, match="expected a torch.Tensor, got AlwaysEqual"):
        grader.expect_tensor("y", torch.zeros(2).as_subclass(AlwaysEqual), (2,))


def test_expect_close_accepts_tolerance_and_names_the_worst_entry(grader):
    expected = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    grader.expect_close("y", expected + 1e-4, expected.double(), rtol=1e-3, atol=1e-4)
    wrong = expected.clone()
    wrong[1, 0] = 3.5
    with pytest.raises(AssertionError, match=r"at index \(1, 0\) got 3.5, expected 3"):
        grader.expect_close("y", wrong, expected)
    with pytest.raises(AssertionError, match="NaN or inf"):
        grader.expect_close("y", torch.full((2, 2), float("nan")), expected)
    with pytest.raises(AssertionError, match="expected shape"):
        grader.expect_close("y", expected.t().reshape(4), expected)


def test_expect_true_needs_a_real_true(grader):
    grader.expect_true(True, "never shown")
    with pytest.raises(AssertionError, match="the message"):
        grader.expect_true(False, "the message")

    class Truthy:
        def __bool__(self):
            return True

    with pytest.raises(AssertionError, match="not a bool"):
        grader.expect_true(Truthy(), "not a bool")


def test_verify_notices_replaced_library_and_grader_functions(grader, monkeypatch):
    grader.verify()
    monkeypatch.setattr(F, "conv2d", lambda *a, **k: None)
    with pytest.raises(grading.TamperingError, match="torch.nn.functional.conv2d"):
        grader.verify()
    monkeypatch.undo()
    grader.verify()
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(grading.Grader, "expect_close", lambda *a, **k: None)
    with pytest.raises(grading.TamperingError, match=r"torch.allclose.*expect_close"):
        grader.verify()


def test_quiet_swallows_warnings_and_stderr(grader, capsys):
    import warnings

    with grader.quiet():
        warnings.warn("noisy", stacklevel=1)
        print("to stderr", file=sys.stderr)
    assert capsys.readouterr().err == ""


def test_quiet_turns_tf32_off_and_restores_it(grader):
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        with grader.quiet():
            assert not torch.backends.cuda.matmul.allow_tf32
            assert not torch.backends.cudnn.allow_tf32
        assert torch.backends.cuda.matmul.allow_tf32
        assert torch.backends.cudnn.allow_tf32  # PyTorch's default
    finally:
        torch.backends.cuda.matmul.allow_tf32 = False


@pytest.mark.skipif(
    not hasattr(torch.backends.cuda.matmul, "fp32_precision"), reason="PyTorch < 2.9"
)
def test_quiet_turns_tf32_off_when_the_notebook_used_the_newer_api(grader):
    matmul, conv = torch.backends.cuda.matmul, torch.backends.cudnn.conv
    saved = matmul.fp32_precision, conv.fp32_precision
    matmul.fp32_precision = conv.fp32_precision = "tf32"
    try:
        with grader.quiet():
            assert matmul.fp32_precision == conv.fp32_precision == "ieee"
        assert matmul.fp32_precision == conv.fp32_precision == "tf32"
    finally:
        matmul.fp32_precision, conv.fp32_precision = saved
    assert not torch.backends.cuda.matmul.allow_tf32  # the old flags read as before


def test_torch_calls_tells_loops_from_vectorised_code(grader):
    x = grader.randn(0, 1, 1, 12, 12)

    def looped(x):
        return torch.stack([x[..., i, :].sum() for i in range(x.shape[-2])])

    def vectorised(x):
        return x.sum(dim=-1).flatten()

    small, large = grader.randn(1, 1, 1, 4, 4), x
    assert len(grader.torch_calls(vectorised, small)) == len(grader.torch_calls(vectorised, large))
    assert len(grader.torch_calls(looped, large)) > len(grader.torch_calls(looped, small)) + 10
    assert "conv2d" in grader.torch_calls(F.conv2d, x, torch.ones(1, 1, 3, 3))


def test_f64_is_a_detached_cpu_float64_copy(grader):
    x = grader.randn(0, 3, requires_grad=True)
    y = grader.f64(x)
    assert y.dtype == torch.float64 and y.device.type == "cpu" and not y.requires_grad
    assert torch.equal(y, x.detach().double())


def test_a_first_optimizer_step_after_the_snapshot_is_not_tampering():
    # The first optimizer step imports torch._dynamo, which wraps torch.manual_seed in a new
    # function; a fresh process shows whether the grader's snapshot already holds the wrapper.
    code = (
        "import torch, utils.grading\n"
        "g = utils.grading.Grader(torch.device('cpu'))\n"
        "p = torch.nn.Parameter(torch.ones(2)); opt = torch.optim.Adam([p])\n"
        "p.sum().backward(); opt.step(); g.verify(); print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr[-2000:]


def test_substituted_swaps_registered_names_for_a_while_and_restores_them(grader):
    namespace = {"attention": "student's", "block": "student's block"}

    def run():
        return namespace["attention"], namespace["block"], namespace.get("extra")

    with grader.substituted(namespace, ["attention", "extra"]):  # nothing registered yet
        assert run() == ("student's", "student's block", None)
    grader.references.update(attention="reference", extra="added", block="reference block")
    with grader.substituted(namespace, ["attention", "extra"]):
        assert run() == ("reference", "student's block", "added")
    assert namespace == {"attention": "student's", "block": "student's block"}
    with pytest.raises(TypeError), grader.substituted(namespace, ["attention"]):
        run()[0] / 0
    assert namespace["attention"] == "student's"


def _steps(optimizer, n):
    for _ in range(n):
        optimizer.zero_grad()
        optimizer.param_groups[0]["params"][0].sum().backward()
        optimizer.step()


def test_budget_counts_the_steps_of_every_optimizer_and_allows_exactly_the_budget(grader):
    p, q = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2))
    adam, sgd = torch.optim.Adam([p], lr=0.1), torch.optim.SGD([q], lr=0.1)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(adam, max_lr=0.1, total_steps=10)
    with grader.budget(7) as budget:
        assert (budget.steps, budget.max_steps) == (0, 7)
        for _ in range(4):
            _steps(adam, 1)
            scheduler.step()
        _steps(sgd, 3)
    assert budget.steps == 7 and not budget.exceeded
    assert not torch.equal(p.detach(), torch.ones(3))  # the steps were made, not only counted
    _steps(sgd, 20)  # outside the block nothing counts
    assert budget.steps == 7


def test_budget_refuses_the_step_over_it_and_names_the_budget(grader):
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=1.0)
    with pytest.raises(grading.BudgetExceeded, match="budget of 5 optimizer steps"):
        with grader.budget(5) as budget:
            _steps(opt, 6)
    assert budget.steps == 5 and budget.exceeded
    assert torch.equal(p.detach(), torch.full((2,), -4.0))  # five steps of -1, not six
    assert isinstance(grading.BudgetExceeded("x"), AssertionError)  # a failed test, not a crash
    _steps(opt, 1)  # the hook is gone afterwards, also after an error


def test_budget_cannot_be_escaped_by_catching_the_error(grader):
    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=1.0)

    class Custom(torch.optim.Optimizer):  # a notebook's own optimizer is counted as well
        def __init__(self, params):
            super().__init__(params, {})

        def step(self, closure=None):
            pass

    custom = Custom([p])
    with pytest.raises(grading.BudgetExceeded, match="budget of 3"):
        with grader.budget(3):
            custom.step()
            for _ in range(10):
                try:
                    _steps(opt, 1)
                except Exception:
                    pass


def test_budget_notices_a_removed_counter_and_rejects_a_bad_budget(grader):
    import torch.optim.optimizer as optimizer_module

    p = torch.nn.Parameter(torch.ones(2))
    opt = torch.optim.SGD([p], lr=1.0)
    with pytest.raises(grading.TamperingError, match="optimizer-step counter"):
        with grader.budget(2):
            optimizer_module._global_optimizer_pre_hooks.clear()
            _steps(opt, 5)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="positive int"), grader.budget(bad):
            pass
    assert "budget" in grading._OWN_METHODS


def test_expect_no_calls_finds_forbidden_functions_by_object_or_name(grader):
    x, w = torch.randn(1, 2, 5, 5), torch.randn(3, 2, 3, 3)

    def im2col(x, w):
        return (w.reshape(3, -1) @ F.unfold(x, 3)).view(1, 3, 3, 3)

    got = grader.expect_no_calls("im2col", ["conv"], im2col, x, w)
    assert torch.allclose(got, F.conv2d(x, w), atol=1e-5)
    for spelling in (F.conv2d, torch.conv2d, lambda x, w: torch.nn.Conv2d(2, 3, 3)(x),
                     lambda x, w: torch.convolution(x, w, None, [1, 1], [0, 0], [1, 1], False,
                                                    [0, 0], 1)):  # fmt: skip
        with pytest.raises(AssertionError, match="calls conv.*does not allow"):
            grader.expect_no_calls("im2col", ["conv"], spelling, x, w)
    # by object: F.unfold is refused, the tensor method of the same name is not
    grader.expect_no_calls("windows", [F.unfold], lambda: x.unfold(2, 3, 1))
    with pytest.raises(AssertionError, match="windows calls unfold"):
        grader.expect_no_calls("windows", [F.unfold], lambda: F.unfold(x, 3))


def test_expect_no_autograd_sees_backward_grad_and_a_graph(grader):
    x = torch.randn(4)
    assert torch.equal(grader.expect_no_autograd("double", lambda x: 2 * x, x), 2 * x)

    def with_grad(x):
        x = x.clone().requires_grad_()
        return torch.autograd.grad((x * x).sum(), x)[0]

    def with_backward(x):
        x = x.clone().requires_grad_()
        (x * x).sum().backward()
        return x.grad

    def with_graph(x):  # a graph, even if the gradient is then taken another way
        x = x.clone().requires_grad_()
        return (x * x).detach()

    for fn in (with_grad, with_backward, with_graph, torch.func.grad(lambda x: (x * x).sum())):
        with pytest.raises(AssertionError, match="uses autograd"):
            grader.expect_no_autograd("dx", fn, x)


def test_expect_device_catches_tensors_left_on_the_cpu(grader):
    meta = torch.empty(2, 3, device="meta")
    assert grader.expect_device("ok", "meta", lambda x: x.new_zeros(2, 3) + x, meta).is_meta
    assert grader.expect_device(
        "moved", "meta", lambda x: torch.ones(3).to(x.device) + x, meta
    ).is_meta
    with pytest.raises(AssertionError, match="add combines tensors on cpu and meta"):
        grader.expect_device("mixed", "meta", lambda x: torch.ones(3) + x, meta)
    with pytest.raises(AssertionError, match="returns a tensor on cpu for inputs on meta"):
        grader.expect_device("ignored", "meta", lambda device: torch.ones(2, 2), device="meta")

    def filled_on_cpu(x):  # the output allocated on the CPU, then written into
        y = torch.zeros(2, 3)
        y[:, 0] = x[:, 0]
        return y

    with pytest.raises(AssertionError, match="returns a tensor on cpu"):
        grader.expect_device("filled", "meta", filled_on_cpu, meta)
    # code that needs the data cannot run on meta: nothing to check, no failure
    assert grader.expect_device("data", "meta", lambda x: x.tolist(), meta) is None

    class Table(torch.nn.Module):
        def __init__(self, buffer):
            super().__init__()
            if buffer:
                self.register_buffer("pe", torch.ones(3))
            else:
                self.pe = torch.ones(3)

        def forward(self, x):
            return x + self.pe

    assert grader.expect_device("buffer", "meta", Table(True).to("meta"), meta).is_meta
    with pytest.raises(AssertionError, match="register tables as buffers"):
        grader.expect_device("attribute", "meta", Table(False).to("meta"), meta)


def test_no_distributions_refuses_them_even_when_the_error_is_caught(grader):
    mu = torch.zeros(3)
    with grader.no_distributions("kl"):
        mu.exp()
    with pytest.raises(AssertionError, match="must not use torch.distributions"):
        with grader.no_distributions("kl"):
            torch.distributions.Normal(mu, 1.0)
    with pytest.raises(AssertionError, match="uses torch.distributions \\(Normal\\)"):
        with grader.no_distributions("kl"):
            try:
                torch.distributions.Normal(mu, 1.0)
            except AssertionError:
                pass
    assert torch.distributions.Normal(mu, 1.0).mean.shape == (3,)  # restored afterwards


def test_expect_grads_names_parameters_no_gradient_reached(grader):
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
    net(torch.randn(1, 2)).sum().backward()
    grader.expect_grads("net", net)
    reused = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
    reused[0](reused[0](torch.randn(1, 2))).sum().backward()
    with pytest.raises(AssertionError, match=r"no gradient reached 1.weight, 1.bias"):
        grader.expect_grads("reused", reused)


def test_expect_logits_refuses_probabilities(grader):
    logits = torch.randn(5, 10)
    grader.expect_logits("scores", logits)
    grader.expect_logits("log-probabilities", logits.log_softmax(-1))
    for probabilities in (logits.softmax(-1), logits.sigmoid()):
        with pytest.raises(AssertionError, match="as probabilities do: return logits"):
            grader.expect_logits("scores", probabilities)

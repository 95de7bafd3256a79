"""Tests of utils.checks: the comparison helper and the numerical gradient check."""

import pytest
import torch

from utils import checks


@pytest.fixture
def reference() -> torch.Tensor:
    return torch.arange(6, dtype=torch.float32).view(2, 3)


def test_compare_identical_is_exact_and_close(reference, capsys):
    result = checks.compare("same", reference.clone(), reference)
    assert result
    assert result.exact and result.close
    assert result.max_abs_diff == 0.0
    assert "same" in capsys.readouterr().out


def test_compare_within_tolerance_is_close_but_not_exact(reference):
    result = checks.compare("close", reference + 1e-7, reference)
    assert result
    assert result.close and not result.exact
    assert 0 < result.max_abs_diff < 1e-6


def test_compare_honours_the_tolerances(reference):
    ours = reference + 1e-3
    assert not checks.compare("tight", ours, reference, strict=False)
    assert checks.compare("loose", ours, reference, atol=1e-2)


def test_compare_not_close_names_the_largest_difference(reference):
    ours = reference.clone()
    ours[1, 2] += 0.5
    with pytest.raises(AssertionError, match=r"bad: not close.*5\.000e-01 at index \(1, 2\)"):
        checks.compare("bad", ours, reference)


def test_compare_not_strict_returns_a_falsy_comparison(reference):
    ours = reference.clone()
    ours[0, 1] -= 0.25
    result = checks.compare("lenient", ours, reference, strict=False)
    assert not result
    assert not result.close and not result.exact
    assert result.max_abs_diff == pytest.approx(0.25)
    assert "close: False" in str(result)


def test_compare_shape_mismatch(reference):
    with pytest.raises(AssertionError, match=r"expected shape \(2, 3\), got \(3, 2\)"):
        checks.compare("shape", reference.T.contiguous(), reference)


def test_compare_nan_in_our_result(reference):
    ours = reference.clone()
    ours[0, 0] = float("nan")
    with pytest.raises(AssertionError, match="contains NaN or inf"):
        checks.compare("nan", ours, reference)
    assert not checks.compare("nan", ours, reference, strict=False)


def test_compare_nan_in_the_reference_is_not_close(reference):
    ref = reference.clone()
    ref[1, 1] = float("nan")
    assert not checks.compare("nan ref", reference, ref, strict=False)


@pytest.mark.parametrize(
    ("ours", "ref", "message"),
    [
        ([1.0, 2.0], torch.ones(2), "your result must be a torch.Tensor, got list"),
        (torch.ones(2), 1.0, "the reference must be a torch.Tensor, got float"),
    ],
)
def test_compare_rejects_non_tensors(ours, ref, message):
    with pytest.raises(TypeError, match=message):
        checks.compare("types", ours, ref)


def test_compare_accepts_tensors_that_require_grad(reference):
    ours = reference.clone().requires_grad_(True)
    assert checks.compare("grad", ours * 1, reference)


def _loss(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return (x @ w).tanh().pow(2).sum()


def _inputs() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return [torch.randn(3, 4, generator=gen), torch.randn(4, 2, generator=gen)]


def test_gradcheck_passes_for_a_correct_autograd_function():
    error = checks.gradcheck(_loss, _inputs())
    assert 0 <= error < 1e-7


def test_gradcheck_catches_a_wrong_analytic_gradient():
    leaves = [x.double().requires_grad_(True) for x in _inputs()]
    right = torch.autograd.grad(_loss(*leaves), leaves)
    assert checks.gradcheck(_loss, _inputs(), analytic=right) < 1e-7
    wrong = [right[0] * 1.1, right[1]]
    with pytest.raises(AssertionError, match="max relative error .* exceeds"):
        checks.gradcheck(_loss, _inputs(), analytic=wrong)
    error = checks.gradcheck(_loss, _inputs(), analytic=wrong, strict=False)
    assert error == pytest.approx(0.1 / 2.1, rel=1e-4)


def test_numerical_gradient_of_x_dot_x_is_2x():
    x = torch.tensor([1.0, -2.0, 0.5, 3.0])
    before = x.clone()
    grad = checks.numerical_gradient(lambda v: torch.dot(v, v), x)
    assert grad.dtype == torch.float64
    assert torch.allclose(grad, 2 * x.double(), atol=1e-6)
    assert torch.equal(x, before)


@pytest.mark.parametrize(
    ("inputs", "analytic", "error", "message"),
    [
        ([], None, ValueError, "at least one input"),
        ([torch.ones(2), torch.ones(2)], [torch.ones(2)], ValueError, "2 inputs but 1 gradients"),
        ([torch.ones(2)], [torch.ones(3)], AssertionError, r"gradient 0 has shape \(3,\)"),
        ([[1.0, 2.0]], None, TypeError, "input 0 must be a torch.Tensor"),
    ],
)
def test_gradcheck_bad_inputs(inputs, analytic, error, message):
    with pytest.raises(error, match=message):
        checks.gradcheck(lambda *xs: sum(x.sum() for x in xs), inputs, analytic)


def test_gradcheck_needs_a_scalar_function():
    with pytest.raises(ValueError, match=r"f must return a scalar, got shape \(3,\)"):
        checks.gradcheck(lambda x: x * 2, [torch.ones(3)])

"""Compare a from-scratch result with PyTorch's, and check gradients numerically."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Comparison:
    """Outcome of :func:`compare`; truthy when the two tensors are close."""

    name: str
    exact: bool
    close: bool
    max_abs_diff: float

    def __bool__(self) -> bool:
        return self.close

    def __str__(self) -> str:
        return (
            f"{self.name:<20s} | exact: {str(self.exact):5s} | close: {str(self.close):5s}"
            f" | max abs diff: {self.max_abs_diff:.2e}"
        )


def _as_tensor(name: str, role: str, value: object) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name}: {role} must be a torch.Tensor, got {type(value).__name__}")
    return value


def compare(
    name: str,
    ours: torch.Tensor,
    reference: torch.Tensor,
    *,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    strict: bool = True,
) -> Comparison:
    """Print how close ``ours`` is to ``reference``; raise if not close and ``strict``.

    The message names the problem a student can act on: a shape mismatch, a dtype that cannot be
    compared, or the largest difference and where it is.
    """
    ours = _as_tensor(name, "your result", ours).detach()
    reference = _as_tensor(name, "the reference", reference).detach()
    if ours.shape != reference.shape:
        raise AssertionError(
            f"{name}: expected shape {tuple(reference.shape)}, got {tuple(ours.shape)}"
        )
    a, b = ours.cpu().double(), reference.cpu().double()
    diff = (a - b).abs()
    finite = bool(torch.isfinite(a).all())
    max_diff = float(diff.max()) if diff.numel() else 0.0
    close = finite and bool(torch.allclose(a, b, rtol=rtol, atol=atol))
    result = Comparison(name, bool(torch.equal(a, b)), close, max_diff)
    print(result)
    if strict and not close:
        if not finite:
            raise AssertionError(f"{name}: your result contains NaN or inf")
        where = tuple(int(i) for i in torch.unravel_index(diff.argmax(), diff.shape))
        raise AssertionError(
            f"{name}: not close (rtol={rtol}, atol={atol}); max abs diff {max_diff:.3e} at index "
            f"{where}: got {float(a[where]):.6g}, expected {float(b[where]):.6g}"
        )
    return result


def numerical_gradient(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    r"""Central differences of a scalar function: $\partial f / \partial x_i \approx
    (f(x + \epsilon e_i) - f(x - \epsilon e_i)) / 2\epsilon$, computed in float64."""
    x = x.detach().double().clone()
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        plus = float(f(x))
        flat[i] = old - eps
        minus = float(f(x))
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(
    f: Callable[..., torch.Tensor],
    inputs: Sequence[torch.Tensor],
    analytic: Sequence[torch.Tensor] | None = None,
    *,
    eps: float = 1e-6,
    tol: float = 1e-5,
    strict: bool = True,
) -> float:
    """Check gradients of the scalar ``f(*inputs)`` against central differences.

    ``analytic`` holds the gradients to check (e.g. from a hand-written backward pass); by default
    autograd computes them. Returns the largest relative error ``|g - n| / (|g| + |n|)`` (norms
    over each input's whole gradient) over all inputs.
    """
    if not inputs:
        raise ValueError("gradcheck needs at least one input tensor")
    xs = [_as_tensor("gradcheck", f"input {i}", x).detach().double() for i, x in enumerate(inputs)]
    if analytic is None:
        leaves = [x.clone().requires_grad_(True) for x in xs]
        out = f(*leaves)
        if out.numel() != 1:
            raise ValueError(f"gradcheck: f must return a scalar, got shape {tuple(out.shape)}")
        analytic = torch.autograd.grad(out, leaves, allow_unused=True)
        analytic = [torch.zeros_like(x) if g is None else g for x, g in zip(xs, analytic)]
    if len(analytic) != len(xs):
        raise ValueError(f"gradcheck: {len(xs)} inputs but {len(analytic)} gradients")
    worst = 0.0
    for i, (x, g) in enumerate(zip(xs, analytic)):
        g = _as_tensor("gradcheck", f"gradient {i}", g).detach().cpu().double()
        if g.shape != x.shape:
            raise AssertionError(
                f"gradcheck: gradient {i} has shape {tuple(g.shape)}, input has {tuple(x.shape)}"
            )

        def f_i(xi: torch.Tensor, i: int = i) -> torch.Tensor:
            return f(*[xi if j == i else xj for j, xj in enumerate(xs)])

        num = numerical_gradient(f_i, x, eps)
        # relative error of the whole gradient, robust where single entries are ~0
        rel = float((g - num).norm() / (g.norm() + num.norm()).clamp_min(1e-12))
        worst = max(worst, rel)
    print(f"gradcheck: max relative error {worst:.2e} (tolerance {tol:.0e})")
    if strict and worst > tol:
        raise AssertionError(f"gradcheck: max relative error {worst:.2e} exceeds {tol:.0e}")
    return worst

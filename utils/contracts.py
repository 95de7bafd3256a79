"""The hidden tests' checks of how an answer computes, not only what: the PyTorch functions it
calls (from the call trace, however the notebook spelled them), autograd, ``torch.distributions``,
the device of what it creates (on PyTorch's ``meta`` device, which a CPU-only grader has too),
gradients reaching every parameter, and logits rather than probabilities.

:class:`Contracts` is a part of :class:`utils.grading.Grader`; a notebook uses these checks
through its ``GRADER``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch
import torch.distributions as distributions
from torch.overrides import TorchFunctionMode


class Contracts:
    """Checks that run the code under test and watch how it computes (``expect_logits`` uses
    the exact type check ``expect_tensor`` of the grader it is part of)."""

    def expect_no_calls(
        self,
        name: str,
        forbidden: Iterable[str | Callable[..., Any]],
        fn: Callable[..., Any],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` and return its result; fail if it called a forbidden
        PyTorch function: one of the callables in ``forbidden`` (the same object, whatever name
        it was reached by) or one whose name matches a regular expression in ``forbidden``
        (``"conv"`` stands for ``F.conv2d``, ``torch.convolution``, ``F.conv_transpose2d``, ...).
        What the call trace shows counts, not how the notebook spelled the call."""
        counter = _CallCounter()
        with counter:
            result = fn(*args, **kwargs)
        patterns = [re.compile(f) for f in forbidden if isinstance(f, str)]
        objects = [f for f in forbidden if not isinstance(f, str)]
        calls = zip(counter.names, counter.funcs, strict=True)
        found = sorted(
            {
                n
                for n, f in calls
                if any(f is o for o in objects) or any(p.search(n) for p in patterns)
            }
        )
        if found:
            raise AssertionError(
                f"{name} calls {', '.join(found)}, which this part does not allow: compute the "
                "result yourself from the operations the text permits"
            )
        return result

    def expect_no_autograd(
        self, name: str, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` on inputs that do not require gradients and return its
        result; fail if it used autograd: built a graph (a tensor saved for a backward pass) or
        called ``.backward()``, ``torch.autograd.grad`` or a ``torch.func`` transform."""
        saved: list[int] = []

        def pack(t: torch.Tensor) -> torch.Tensor:
            saved.append(1)
            return t

        counter, result = _CallCounter(), None
        try:
            with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t), counter:
                result = fn(*args, **kwargs)
        except RuntimeError as err:  # torch.func's transforms refuse to run under the hooks
            if "saved tensor hooks" not in str(err):
                raise
            counter.names.append("grad")
        used = sorted(set(counter.names) & {"backward", "grad", "vjp", "jvp", "jacrev", "jacfwd"})
        if used or saved:
            what = ", ".join(used) if used else "an autograd graph (tensors that require grad)"
            raise AssertionError(
                f"{name} uses autograd ({what}): compute the gradients with your own formulas"
            )
        return result

    def expect_device(
        self,
        name: str,
        device: str | torch.device,
        fn: Callable[..., Any],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` with inputs on ``device`` (typically ``"meta"``: a device
        without data, which a CPU-only grader has too) and return its result; fail if a call
        combines tensors on two devices (one made on the CPU whatever the input's device) or if
        a tensor of the result is not on ``device``. Code that needs the data (``.item()``,
        ``.tolist()``, ``.cpu()``) cannot run on ``meta``: then nothing is checked and ``None``
        is returned, so a correct implementation never fails here."""
        device = torch.device(device)
        mode, ran = _DeviceMode(device), True
        try:
            with mode:
                result = fn(*args, **kwargs)
        except (RuntimeError, NotImplementedError, TypeError, ValueError, IndexError):
            ran = False  # the code needs data that the device does not hold
        if mode.mixed:
            call, devices = mode.mixed[0]
            raise AssertionError(
                f"{name}: {call} combines tensors on {' and '.join(devices)} when the inputs are "
                f"on {device}: create every new tensor on the input's device (device=x.device, "
                "x.new_zeros(...), torch.zeros_like(x)) or register tables as buffers"
            )
        if not ran:
            return None
        wrong = sorted({str(t.device) for t in _tensors(result) if t.device != device})
        if wrong:
            raise AssertionError(
                f"{name}: returns a tensor on {', '.join(wrong)} for inputs on {device}: the "
                "result must be on the device of the inputs (or of the device= argument)"
            )
        return result

    @contextlib.contextmanager
    def no_distributions(self, name: str) -> Iterator[None]:
        """Fail if the code run in the block creates any ``torch.distributions`` object (also
        when it caught the error that creating one raises)."""
        original, created = distributions.Distribution.__init__, []

        def refuse(obj: Any, *args: Any, **kwargs: Any) -> None:
            created.append(type(obj).__name__)
            raise AssertionError(f"{name} must not use torch.distributions")

        distributions.Distribution.__init__ = refuse
        try:
            yield
        finally:
            distributions.Distribution.__init__ = original
        if created:
            raise AssertionError(
                f"{name} uses torch.distributions ({created[0]}): compute it from the formula"
            )

    def expect_grads(self, name: str, module: torch.nn.Module) -> None:
        """After a backward pass through ``module``: every parameter has a gradient. A layer
        that is declared but never used, or used through ``.data`` or ``.detach()``, has none."""
        missing = [n for n, p in module.named_parameters() if p.requires_grad and p.grad is None]
        if missing:
            raise AssertionError(
                f"{name}: no gradient reached {', '.join(missing)}: every declared layer must take "
                "part in forward, through its parameters themselves (not .data or .detach())"
            )

    def expect_logits(self, name: str, scores: torch.Tensor) -> None:
        """``scores`` are logits, not probabilities: not every value lies in [0, 1]."""
        self.expect_tensor(name, scores)
        s = scores.detach()
        if bool((s >= 0).all()) and bool((s <= 1).all()):
            raise AssertionError(
                f"{name}: every value lies in [0, 1], as probabilities do: return logits (the "
                "scores before softmax or sigmoid); the loss applies the softmax or sigmoid itself"
            )

    @staticmethod
    def torch_calls(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> list[str]:
        """Names of the PyTorch functions and tensor methods ``fn(*args, **kwargs)`` calls, in
        order (calls made inside PyTorch's own functions are not counted)."""
        counter = _CallCounter()
        with counter:
            fn(*args, **kwargs)
        return counter.names


class _CallCounter(TorchFunctionMode):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.funcs: list[Any] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        self.names.append(getattr(func, "__name__", str(func)))
        self.funcs.append(func)
        return func(*args, **(kwargs or {}))


def _tensors(obj: Any) -> list[torch.Tensor]:
    """The tensors in ``obj``, looking into tuples, lists and dicts."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for item in obj for t in _tensors(item)]
    if isinstance(obj, dict):
        return [t for item in obj.values() for t in _tensors(item)]
    return []


# calls that may legitimately take tensors on two devices: moves, copies and indexing
_MOVES = {"to", "type_as", "copy_", "__setitem__", "__getitem__", "cpu", "cuda", "__get__",
          "__set__", "set_", "new_tensor", "index_put_"}  # fmt: skip


class _DeviceMode(TorchFunctionMode):
    """Notes calls that combine tensors (not 0-d ones) on two devices; a copy of values of
    ``device`` into a tensor elsewhere is skipped (``meta`` holds no values to copy), so that the
    tensor left elsewhere shows up in the result."""

    def __init__(self, device: torch.device) -> None:
        super().__init__()
        self.device = device
        self.mixed: list[tuple[str, list[str]]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", str(func))
        if name in ("__setitem__", "copy_") and args and isinstance(args[0], torch.Tensor):
            if args[0].device != self.device and any(
                t.device == self.device for t in _tensors(args[1:])
            ):
                return args[0] if name == "copy_" else None
        if name not in _MOVES:
            devices = {str(t.device) for t in _tensors([args, kwargs]) if t.dim() > 0}
            if len(devices) > 1:
                self.mixed.append((name, sorted(devices)))
        return func(*args, **kwargs)

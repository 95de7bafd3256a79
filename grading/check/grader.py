"""The ``GRADER`` of the hidden tests, in the checker: the notebook grader's checks, on what the
kernel sent back.

Comparisons and seeded inputs are those of :class:`utils.grading.Checks`; every expected value
is computed here. What only the kernel can see (which PyTorch functions the code called, where it
made its tensors, whether it used autograd or ``torch.distributions``, how many optimizer steps a
training took) is asked of it with the request (:mod:`utils.agent`) and judged here; a notebook
can lie about those, which is why the rules of *how* an answer computes are also checked on the
source, before anything runs (:mod:`utils.policy`).

The inputs of :meth:`CheckGrader.randn` depend on the test's seed and on the submission's
``salt``: the same submission always meets the same inputs, another one other inputs, so values
shown in one feedback page do not answer the next submission's tests.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

from grading.check.remote import Remote, RemoteError
from utils import wire
from utils.grading import Checks, StepBudget


class CheckGrader(Checks):
    """Checks of the hidden tests, run in the checker against :class:`Remote` names."""

    def __init__(self, salt: int = 0) -> None:
        self.salt = salt
        self._budget: StepBudget | None = None
        self.awarded: float | None = None
        """Points a test awards below the cell's full points (``GRADER.points``)."""

    # -- inputs ------------------------------------------------------------------------------
    def generator(self, seed: int) -> torch.Generator:
        """A CPU generator for ``seed`` and this submission's salt."""
        return torch.Generator().manual_seed((int(seed) * 1_000_003 + self.salt) % 2**63)

    def randn(self, seed: int, *shape: int, requires_grad: bool = False) -> torch.Tensor:
        """Standard-normal float32 tensor (on the CPU; the kernel moves it to its device)."""
        return torch.randn(*shape, generator=self.generator(seed)).requires_grad_(requires_grad)

    @staticmethod
    def where(t: torch.Tensor) -> wire.TensorInfo | None:
        """What a tensor of a reply was in the kernel: device, dtype, requires_grad, grad_fn."""
        return wire.info(t)

    # -- requests with options ----------------------------------------------------------------
    @staticmethod
    def call(fn: Remote, *args: Any, keep: bool = False, seed: int | None = None,
             **kwargs: Any) -> Any:  # fmt: skip
        """``fn(*args, **kwargs)``, after ``torch.manual_seed(seed)`` in the kernel where given;
        with ``keep``, the result's tensors stay in the kernel (:class:`Remote`, graph and all)
        for :meth:`backward`, :meth:`grad` and :meth:`fetch`."""
        return _ask(fn, args, kwargs, keep=keep, seed=seed)["value"]

    @staticmethod
    def get(member: Remote) -> Any:
        """The value of an attribute in the kernel (``GRADER.get(block.conv1.stride)``)."""
        return member._ask("get")["value"]

    @staticmethod
    def describe(module: Remote) -> dict:
        """A module of the kernel: ``type`` (module and class name), ``training``,
        ``parameters``, ``requires_grad``, ``grads``, ``buffers`` (name -> tensor, or None for a
        missing grad) and ``modules`` ([name, type] of every submodule, itself first as '')."""
        value = module._ask("describe")["value"]
        if not isinstance(value, dict):
            raise RemoteError("the kernel's description of a module was not understood")
        return value

    @staticmethod
    def load(module: Remote, state: dict[str, torch.Tensor]) -> None:
        """Copy ``state`` (name -> tensor) into the module's parameters and buffers."""
        module._ask("load", state=state)

    @staticmethod
    def keep(target: Remote, value: Any) -> Any:
        """``value``'s tensors sent to stay in the kernel (leaves that require grad where the
        tensor here does), as :class:`Remote` references; ``target`` is any name of the kernel."""
        return target._ask("keep", value=value)["value"]

    @staticmethod
    def backward(tensors: list[Remote], grads: list[torch.Tensor | None]) -> None:
        """``torch.autograd.backward(tensors, grads)`` in the kernel, on kept tensors."""
        if tensors:
            tensors[0]._target.ask({"op": "backward", "tensors": list(tensors),
                                    "grads": list(grads)})  # fmt: skip

    @staticmethod
    def grad(tensors: list[Remote]) -> list[torch.Tensor | None]:
        """The ``.grad`` of kept tensors."""
        return tensors[0]._target.ask({"op": "grad", "tensors": list(tensors)})["value"]

    @staticmethod
    def fetch(value: Any) -> Any:
        """Kept tensors (in any list, tuple or dict) as tensors here."""
        first = next(iter(_remotes(value)), None)
        if first is None:
            return value
        return first._target.ask({"op": "fetch", "value": value})["value"]

    # -- checks of how the code computes ---------------------------------------------------------
    def expect_no_calls(self, name: str, forbidden: Iterable[str | Callable[..., Any]],
                        fn: Remote, /, *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        """``fn(*args, **kwargs)``; fail if the kernel's call trace shows a forbidden PyTorch
        function: a name matching one of the regular expressions, or the name of a callable."""
        reply = _ask(fn, args, kwargs, trace=True)
        patterns = [re.compile(f if isinstance(f, str) else f"^{re.escape(f.__name__)}$")
                    for f in forbidden]  # fmt: skip
        found = sorted(
            {n for n in _names(reply.get("calls")) if any(p.search(n) for p in patterns)}
        )
        if found:
            raise AssertionError(
                f"{name} calls {', '.join(found)}, which this part does not allow: compute the "
                "result yourself from the operations the text permits"
            )
        return reply["value"]

    def torch_calls(self, fn: Remote, *args: Any, **kwargs: Any) -> list[str]:
        """The names of the PyTorch functions ``fn(*args, **kwargs)`` called, in order."""
        return _names(_ask(fn, args, kwargs, trace=True).get("calls"))

    def expect_no_autograd(self, name: str, fn: Remote, /, *args: Any, **kwargs: Any) -> None:
        """Fail if ``fn(*args, **kwargs)`` used autograd in the kernel."""
        if _ask(fn, args, kwargs, no_autograd=True).get("autograd") is not False:
            raise AssertionError(
                f"{name} uses autograd (a graph, .backward() or torch.autograd.grad): compute "
                "the gradients with your own formulas"
            )

    def expect_device(self, name: str, device: str, fn: Remote, /, *args: Any,
                      **kwargs: Any) -> None:  # fmt: skip
        """Run ``fn`` on ``meta`` inputs in the kernel; fail if a call mixed devices or the
        result holds a tensor elsewhere (code that needs data cannot run on meta: no verdict)."""
        if device != "meta":
            raise ValueError("the checker tests devices with meta tensors only")
        reply = _ask(fn, args, kwargs, device="meta")
        mixed = reply.get("mixed")
        if mixed:
            call = _names([mixed[0]])[0] if _names([mixed[0]]) else "a call"
            raise AssertionError(
                f"{name}: {call} combines tensors on two devices when the inputs are on meta: "
                "create every new tensor on the input's device (device=x.device, "
                "x.new_zeros(...), torch.zeros_like(x)) or register tables as buffers"
            )
        devices = reply.get("devices") or []
        if reply.get("ran") is True and any(d != "meta" for d in devices):
            raise AssertionError(
                f"{name}: returns a tensor on another device for inputs on meta: the result "
                "must be on the device of the inputs (or of the device= argument)"
            )

    @contextlib.contextmanager
    def no_distributions(self, name: str) -> Iterator[None]:
        """Calls in the block fail if they make a ``torch.distributions`` object."""
        saved, self._no_distributions = getattr(self, "_no_distributions", None), name
        try:
            yield
        finally:
            self._no_distributions = saved

    def expect_grads(self, name: str, module: Remote) -> None:
        """Every parameter of the kernel's module that requires grad has a gradient."""
        info = self.describe(module)
        missing = [
            n for n, g in info["grads"].items() if info["requires_grad"].get(n) and g is None
        ]
        if missing:
            raise AssertionError(
                f"{name}: no gradient reached {', '.join(missing)}: every declared layer must take "
                "part in forward, through its parameters themselves (not .data or .detach())"
            )

    def expect_logits(self, name: str, scores: Any) -> None:
        """``scores`` are logits, not probabilities: not every value lies in [0, 1]."""
        self.expect_tensor(name, scores)
        if bool((scores >= 0).all()) and bool((scores <= 1).all()):
            raise AssertionError(
                f"{name}: every value lies in [0, 1], as probabilities do: return logits (the "
                "scores before softmax or sigmoid); the loss applies the softmax or sigmoid itself"
            )

    # -- training parts --------------------------------------------------------------------------
    @contextlib.contextmanager
    def budget(self, max_steps: int) -> Iterator[StepBudget]:
        """Calls in the block share a budget of ``max_steps`` optimizer steps, counted in the
        kernel (``budget.steps`` after the block)."""
        if type(max_steps) is not int or max_steps < 1:
            raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
        saved, self._budget = self._budget, StepBudget(max_steps)
        count = self._budget
        try:
            yield count
        finally:
            self._budget = saved

    def points(self, points: float) -> None:
        """The test passes with ``points`` (below the cell's full points: partial credit)."""
        self.awarded = float(points)

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Every request already runs quietly in the kernel: kept for tests written for both."""
        yield

    def verify(self) -> None:
        """Nothing in the checker can be replaced by the notebook."""


def _ask(fn: Remote, args, kwargs, **options: Any) -> dict:
    if not isinstance(fn, Remote):
        raise TypeError("a check calls the notebook's code through its names (a Remote)")
    grader = _current.get("grader")
    if grader is not None and grader._budget is not None:
        left = grader._budget.max_steps - grader._budget.steps
        if left < 1:
            raise AssertionError("the training budget of this part is spent")
        options["budget"] = left
    if grader is not None and getattr(grader, "_no_distributions", None):
        options["no_distributions"] = True
    reply = fn._ask("call", args=list(args), kwargs=dict(kwargs), options=options)
    if grader is not None and grader._budget is not None:
        grader._budget.steps += int(reply.get("steps") or 0)
    if reply.get("distributions") is True:
        raise AssertionError(f"{grader._no_distributions} must not use torch.distributions")
    return reply


_current: dict[str, CheckGrader | None] = {"grader": None}
"""The grader of the test being checked (its budget and rules apply to every request)."""


def _names(calls: Any) -> list[str]:
    """Call names from the kernel, kept only where they look like names."""
    if not isinstance(calls, list):
        return []
    return [c for c in calls if isinstance(c, str) and re.fullmatch(r"[A-Za-z0-9_.]{1,60}", c)]


def _remotes(value: Any) -> Iterator[Remote]:
    if isinstance(value, Remote):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _remotes(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _remotes(v)

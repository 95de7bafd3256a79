"""Helpers for the assignments' tests: seeded inputs, exact type checks, tolerant comparisons
with messages a student can act on, and a guard that notices replaced PyTorch functions.

A notebook creates one :class:`Grader` in a read-only cell before any student code runs; every
test cell then starts with ``GRADER.verify()``. Comparisons run in float64 on the CPU against
references computed at grading time; the code under test runs with float32 matrix products in
full precision (TF32 off), so a tolerance means the same on a CPU and on any GPU. Training parts
get a budget in optimizer steps (:meth:`Grader.budget`), never in seconds.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import importlib
import io
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch.optim.optimizer import register_optimizer_step_pre_hook

from utils import agent as agent  # the checker's requests: imported with the grader
from utils.config import get_device
from utils.contracts import Contracts

# Where submissions could cheat the comparisons by replacing a function: the guard remembers
# these objects when the grader is created and checks that they are still the same objects.
_GUARDED: dict[str, tuple[Any, tuple[str, ...]]] = {
    "torch": (torch, ("allclose", "isclose", "equal", "randn", "rand", "randint", "tensor",
                      "zeros", "ones", "stack", "cat", "manual_seed", "Generator", "no_grad",
                      "is_tensor", "isfinite", "unique")),
    "torch.Tensor": (torch.Tensor, ("__eq__", "__sub__", "__getitem__", "abs", "max", "double",
                                    "cpu", "to", "detach", "allclose", "sum", "mean", "item",
                                    "tolist", "argmax", "clone", "backward", "float")),
    "torch.nn.functional": (F, ("conv2d", "max_pool2d", "avg_pool2d", "unfold", "fold",
                                "linear", "cross_entropy", "softmax", "log_softmax", "mse_loss",
                                "scaled_dot_product_attention", "binary_cross_entropy_with_logits",
                                "layer_norm", "batch_norm", "relu")),
    "builtins": (builtins, ("isinstance", "type", "abs", "float", "len", "print", "round")),
}  # fmt: skip


class TamperingError(AssertionError):
    """A function the tests rely on was replaced by the submission."""


class Checks:
    """Seeded inputs and the comparisons of a check, with messages a student can act on: what
    the grader in the notebook and the grading checker (which holds the hidden tests) share."""

    device = torch.device("cpu")

    # -- inputs ------------------------------------------------------------------------------
    def randn(self, seed: int, *shape: int, requires_grad: bool = False) -> torch.Tensor:
        """Standard-normal float32 tensor from a local CPU generator, moved to the device."""
        gen = torch.Generator().manual_seed(seed)
        x = torch.randn(*shape, generator=gen).to(self.device)
        return x.requires_grad_(requires_grad)

    @staticmethod
    def f64(t: torch.Tensor) -> torch.Tensor:
        """A detached float64 CPU copy: where references are computed, free of TF32 rounding."""
        return t.detach().to("cpu", torch.float64)

    # -- checks ------------------------------------------------------------------------------
    def expect_tensor(self, name: str, got: object, shape: tuple[int, ...] | None = None) -> None:
        """``got`` is exactly a torch.Tensor (not a subclass or look-alike) of ``shape``."""
        if type(got) is not torch.Tensor:
            raise AssertionError(f"{name}: expected a torch.Tensor, got {type(got).__name__}")
        if shape is not None and tuple(got.shape) != tuple(shape):
            raise AssertionError(f"{name}: expected shape {tuple(shape)}, got {tuple(got.shape)}")

    def expect_close(
        self, name: str, got: object, expected: torch.Tensor, rtol: float = 1e-3, atol: float = 1e-4
    ) -> None:
        """``got`` matches ``expected``: ``|got - expected| <= atol + rtol * |expected|``."""
        self.expect_tensor(name, got, tuple(expected.shape))
        a = got.detach().to("cpu", torch.float64)
        b = expected.detach().to("cpu", torch.float64)
        if not bool(torch.isfinite(a).all()):
            raise AssertionError(f"{name}: your result contains NaN or inf")
        excess = (a - b).abs() - (atol + rtol * b.abs())
        if bool((excess > 0).any()):
            i = tuple(int(j) for j in torch.unravel_index(excess.argmax(), excess.shape))
            diff = float((a - b).abs().max())
            raise AssertionError(
                f"{name}: values differ (max abs difference {diff:.3g}); at index {i} got "
                f"{float(a[i]):.6g}, expected {float(b[i]):.6g}"
            )

    def expect_true(self, condition: bool, message: str) -> None:
        """Fail with ``message`` unless ``condition`` holds."""
        if condition is not True:
            raise AssertionError(message)


class Grader(Checks, Contracts):
    """Seeded inputs, checks and a snapshot of the functions the checks rely on; the checks of
    how an answer computes (call trace, devices, gradients) come from :class:`Contracts`."""

    def __init__(self, device: torch.device | None = None) -> None:
        self.device = device if device is not None else get_device()
        # An optimizer's first step imports torch._dynamo, which wraps torch.manual_seed; import
        # it now so that the snapshot holds the wrapped function and no false alarm is raised.
        importlib.import_module("torch._dynamo")
        self._snapshot = {
            f"{owner}.{name}": getattr(obj, name)
            for owner, (obj, names) in _GUARDED.items()
            for name in names
            if hasattr(obj, name)
        }
        self._methods = {name: getattr(Grader, name) for name in _OWN_METHODS}
        # correct versions of the assignment's parts, by name: see :meth:`substituted`
        self.references: dict[str, Any] = {}

    # -- integrity -------------------------------------------------------------------------
    def verify(self) -> None:
        """Raise if any guarded function was replaced since the grader was created."""
        replaced = [
            key
            for key, original in self._snapshot.items()
            if getattr(_GUARDED[key.rsplit(".", 1)[0]][0], key.rsplit(".", 1)[1], None)
            is not original
        ]
        replaced += [n for n, f in self._methods.items() if getattr(Grader, n) is not f]
        if replaced:
            raise TamperingError(
                f"these functions were replaced by code in the notebook: {', '.join(replaced)}. "
                "Restore them (restart the kernel) and do not overwrite library functions."
            )

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Run the code under test as a check needs it: warnings and stderr silenced (output
        there costs no points) and TF32 off, so that a student's float32 matrix products are
        exact to float32 precision even where the notebook (or Colab) allowed TF32 on a GPU."""
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            with _tf32_off():
                yield

    @contextlib.contextmanager
    def substituted(self, namespace: dict[str, Any], names: Iterable[str]) -> Iterator[None]:
        """While the block runs, each of ``names`` that has an entry in ``self.references``
        means that correct version in ``namespace`` (the notebook's ``globals()``).

        A test grades one part on its own this way: while it checks the student's multi-head
        attention, say, the name ``scaled_dot_product_attention`` means a correct version, so a
        mistake in that earlier part is not charged twice. The hidden tests register the
        references; without them (a student running the notebook) nothing changes. The
        student's names are restored afterwards, also when a check fails.
        """
        references = {name: self.references[name] for name in names if name in self.references}
        missing = object()
        saved = {name: namespace.get(name, missing) for name in references}
        namespace.update(references)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is missing:
                    namespace.pop(name, None)
                else:
                    namespace[name] = value

    # -- training budgets --------------------------------------------------------------------
    @contextlib.contextmanager
    def budget(self, max_steps: int) -> Iterator[StepBudget]:
        """A budget of ``max_steps`` optimizer steps for the training code run in the block.

        ``with GRADER.budget(1000) as budget: train(model, train_loader)``, then
        ``budget.steps`` says how many steps the training took. Every ``optimizer.step()`` call
        of every ``torch.optim.Optimizer`` (subclasses written in the notebook included) counts,
        whatever data the training draws: batches of a loader, chunks of a text or slices of a
        tensor. A budget in steps gives the same verdict on any machine, loaded or not, which a
        budget in seconds does not; passes over the data that take no step (validation, a
        training accuracy) cost nothing.

        The step that would go over the budget raises :class:`BudgetExceeded`, which names the
        budget, instead of being skipped: training that silently stopped would be scored on a
        model its author never saw, and a loop that retries on a refused step would never end.
        The block also raises when the training code caught that error and carried on, and
        :class:`TamperingError` when the step counter was removed. Updates made without an
        optimizer (``p -= lr * p.grad``) are not counted; the per-cell time limit still bounds
        them.
        """
        if type(max_steps) is not int or max_steps < 1:
            raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
        count = StepBudget(max_steps)
        message = (
            f"training asked for more than the budget of {max_steps} optimizer steps "
            "(calls of optimizer.step()): train for fewer epochs or with larger batches"
        )

        def before_step(optimizer: Any, args: Any, kwargs: Any) -> None:
            if count.steps >= max_steps:
                count.exceeded = True
                raise BudgetExceeded(message)
            count.steps += 1

        handle = register_optimizer_step_pre_hook(before_step)
        try:
            yield count
        finally:
            hooks = handle.hooks_dict_ref()
            intact = hooks is not None and hooks.get(handle.id) is before_step
            handle.remove()
        if not intact:
            raise TamperingError(
                "the optimizer-step counter of the training budget was removed by code in the "
                "notebook. Restart the kernel and do not change PyTorch's optimizer hooks."
            )
        if count.exceeded:
            raise BudgetExceeded(message)


class BudgetExceeded(AssertionError):
    """The training of a part took more optimizer steps than its budget."""


@dataclasses.dataclass
class StepBudget:
    """What :meth:`Grader.budget` counts: ``steps`` taken so far out of ``max_steps``."""

    max_steps: int
    steps: int = 0
    exceeded: bool = False


_OWN_METHODS = tuple(
    name for name in dir(Grader) if not name.startswith("_") and callable(getattr(Grader, name))
)
"""Every check of the grader, its own and those of :class:`~utils.contracts.Contracts`:
:meth:`Grader.verify` notices any of them replaced."""


@contextlib.contextmanager
def _tf32_off() -> Iterator[None]:
    """TF32 rounds float32 matrix products to 10 mantissa bits on Ampere and later GPUs: an
    im2col convolution is then off by about 1e-2 against a float64 reference.

    PyTorch 2.9 and later keep these settings as ``fp32_precision`` ("tf32" or "ieee") as well as
    the older ``allow_tf32``; reading the old flags raises once a notebook has set the new ones.
    The settings are changed and restored through the API the notebook used.
    """
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    settings, off = [(matmul, "allow_tf32"), (cudnn, "allow_tf32")], False
    try:
        saved = [getattr(obj, attr) for obj, attr in settings]
    except RuntimeError:  # the notebook used the newer API
        settings, off = [(matmul, "fp32_precision"), (cudnn.conv, "fp32_precision"),
                         (cudnn.rnn, "fp32_precision")], "ieee"  # fmt: skip
        saved = [getattr(obj, attr) for obj, attr in settings]
    for obj, attr in settings:
        setattr(obj, attr, off)
    try:
        yield
    finally:
        for (obj, attr), value in zip(settings, saved, strict=True):
            setattr(obj, attr, value)

"""The student kernel's side of the grading checker's protocol.

When a graded notebook has run, the grader's checker (a process of its own that holds the hidden
tests and the reference implementations, and no student code) asks the kernel for what it needs,
one request at a time, as a *user expression* of a silent execute request: nothing enters the
kernel's input history, no cell runs, and no output is shown. Each request names a function or
class of the notebook (or an object kept from an earlier request) and carries plain data and
tensors (:mod:`utils.wire`); the reply carries plain data, tensors, and references to the
objects that stay here (a module, a data loader, a tensor kept for a backward pass).

Operations (``op``):

``call``
    Call ``target`` (a name of the notebook, ``utils.…``, or a kept object), or its
    ``member`` (``"forward"``, ``"conv1.forward"``), with ``args`` and ``kwargs``. Tensors
    arrive on the CPU and are moved to the kernel's device (``meta`` ones stay ``meta``; a
    device named means the kernel's); one
    sent with ``requires_grad`` becomes a leaf that requires grad. ``options``: ``seed`` (set
    first), ``budget`` (optimizer steps, counted as ``Grader.budget`` does), ``keep`` (tensors
    of the result stay here, as references, graph and all), ``trace`` (the names of the PyTorch
    functions called), ``device`` (run on ``meta`` inputs and report tensors made elsewhere),
    ``no_autograd`` (report any use of autograd), ``no_distributions`` (report any
    ``torch.distributions`` object made).
``get``
    The value of attribute ``member`` of ``target``.
``describe``
    A module's type, mode, parameters, buffers, gradients and submodules' types.
``load``
    Copy tensors into a module's parameters and buffers by name.
``backward``
    ``torch.autograd.backward(tensors, grads)`` on kept tensors.
``grad``
    The ``.grad`` of kept tensors.
``fetch``
    Kept tensors as data.
``keep``
    Tensors sent to stay here (on the kernel's device), as references.

Whatever the notebook does to this module only changes what its own kernel answers: the checker
computes every expected value itself, from inputs the kernel has not seen before the request.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import io
import warnings
from typing import Any

import torch

from utils import contracts, wire
from utils.config import get_device, set_seed

_KEPT: dict[int, Any] = {}


def serve(payload: str) -> str:
    """Answer one request (base64 of a :mod:`utils.wire` message) with a base64 reply."""
    try:
        request = wire.loads(base64.b64decode(payload), resolve=_resolve)
        reply = handle(request, _namespace())
    except BaseException as err:  # noqa: BLE001 - every failure is an answer, never a crash
        reply = _failure(err)
    try:
        out = wire.dumps(reply, refer=_keep)
    except BaseException as err:  # noqa: BLE001 - e.g. a result too large to send
        out = wire.dumps(_failure(err))
    return base64.b64encode(out).decode("ascii")


def handle(request: dict, namespace: dict) -> dict:
    """The reply to ``request`` (a decoded message) in the notebook whose globals are
    ``namespace``."""
    op = request.get("op")
    if op == "call":
        return _call(request, namespace)
    if op == "get":
        return {"ok": True, "value": _member(_target(request, namespace), request.get("member"))}
    if op == "describe":
        return {"ok": True, "value": _describe(_target(request, namespace))}
    if op == "load":
        module, state = _target(request, namespace), request["state"]
        own = dict(module.named_parameters()) | dict(module.named_buffers())
        with torch.no_grad():
            for name, value in state.items():
                own[name].copy_(value.to(own[name].device, own[name].dtype))
        return {"ok": True, "value": None}
    if op == "backward":
        grads = [None if g is None else g.to(t.device) for t, g in
                 zip(request["tensors"], request["grads"], strict=True)]  # fmt: skip
        with _quiet():
            torch.autograd.backward(request["tensors"], grads)
        return {"ok": True, "value": None}
    if op == "grad":
        return {"ok": True, "value": [t.grad for t in request["tensors"]]}
    if op == "fetch":
        return {"ok": True, "value": request["value"]}
    if op == "keep":
        return {"ok": True, "value": _kept(_arrive(request["value"], False))}
    raise ValueError(f"unknown operation {op!r}")


def _call(request: dict, namespace: dict) -> dict:
    options = request.get("options") or {}
    fn = _member(_target(request, namespace), request.get("member"))
    meta = options.get("device") == "meta"
    args = _arrive(request.get("args", []), meta)
    kwargs = _arrive(request.get("kwargs", {}), meta)
    reply: dict[str, Any] = {"ok": True}
    if options.get("seed") is not None:
        set_seed(int(options["seed"]))
    with _quiet(), _budget(options.get("budget"), reply):
        if meta:
            value = _on_meta(fn, args, kwargs, reply)
        elif options.get("trace"):
            counter = contracts._CallCounter()
            with counter:
                value = fn(*args, **kwargs)
            reply["calls"] = list(counter.names)
        elif options.get("no_autograd"):
            try:
                value = contracts.Contracts().expect_no_autograd("", fn, *args, **kwargs)
                reply["autograd"] = False
            except AssertionError:
                value, reply["autograd"] = None, True
        elif options.get("no_distributions"):
            try:
                with contracts.Contracts().no_distributions(""):
                    value = fn(*args, **kwargs)
                reply["distributions"] = False
            except AssertionError:
                value, reply["distributions"] = None, True
        else:
            value = fn(*args, **kwargs)
    reply["value"] = _kept(value) if options.get("keep") else value
    return reply


def _on_meta(fn, args, kwargs, reply: dict) -> Any:
    """Run on ``meta`` inputs; note a call that mixed devices and a result made elsewhere."""
    mode, value = contracts._DeviceMode(torch.device("meta")), None
    try:
        with mode:
            value = fn(*args, **kwargs)
        reply["ran"] = True
    except (RuntimeError, NotImplementedError, TypeError, ValueError, IndexError):
        reply["ran"] = False  # the code needs data that meta tensors do not hold
    reply["mixed"] = [mode.mixed[0][0], mode.mixed[0][1]] if mode.mixed else None
    reply["devices"] = sorted({str(t.device) for t in contracts._tensors(value)})
    return None


@contextlib.contextmanager
def _budget(steps: int | None, reply: dict):
    if steps is None:
        yield
        return
    from utils.grading import Grader

    with Grader.budget(None, int(steps)) as count:  # type: ignore[arg-type]
        try:
            yield
        finally:
            reply["steps"] = count.steps


@contextlib.contextmanager
def _quiet():
    """Warnings, stdout and stderr silenced and TF32 off, as the grader's checks run code."""
    from utils.grading import _tf32_off

    sink = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(sink), \
            contextlib.redirect_stdout(sink), _tf32_off():  # fmt: skip
        warnings.simplefilter("ignore")
        yield


def _arrive(value: Any, meta: bool) -> Any:
    """Received tensors on the kernel's device (``meta`` ones left there), leaves that require
    grad where the checker's did."""
    if isinstance(value, torch.Tensor):
        if value.device.type == "meta":
            return value
        info = wire.info(value)
        moved = value.to(get_device())
        if info is not None and info.requires_grad and value.is_floating_point():
            moved = moved.detach().requires_grad_()
        return moved
    if isinstance(value, torch.device):  # the checker's device means the kernel's
        return value if value.type == "meta" else get_device()
    if type(value) in (list, tuple):
        return type(value)(_arrive(v, meta) for v in value)
    if type(value) is dict:
        return {k: _arrive(v, meta) for k, v in value.items()}
    return value


def _kept(value: Any) -> Any:
    """``value`` with its tensors kept here (references) instead of sent."""
    if isinstance(value, torch.Tensor):
        return _keep(value)
    if type(value) in (list, tuple):
        return type(value)(_kept(v) for v in value)
    if type(value) is dict:
        return {k: _kept(v) for k, v in value.items()}
    return value


def _keep(obj: Any) -> wire.Ref:
    _KEPT[id(obj)] = obj
    return wire.Ref(id(obj), f"{type(obj).__module__}.{type(obj).__qualname__}"[:200])


def _resolve(ref: wire.Ref) -> Any:
    return _KEPT[ref.id]


def _target(request: dict, namespace: dict) -> Any:
    target = request.get("target")
    if not isinstance(target, str):
        return target
    if target.startswith("utils."):  # the course's package, e.g. utils.doubles.a2_rnn.FixedLM
        module, _, name = target.rpartition(".")
        return getattr(importlib.import_module(module), name)
    head, *rest = target.split(".")
    value = namespace[head]
    for part in rest:
        value = getattr(value, part)
    return value


def _member(obj: Any, member: str | None) -> Any:
    for part in (member or "").split("."):
        if part:
            obj = getattr(obj, part)
    return obj


def _describe(module: torch.nn.Module) -> dict:
    if not isinstance(module, torch.nn.Module):
        raise TypeError("not a torch.nn.Module")
    params = dict(module.named_parameters())
    return {
        "type": f"{type(module).__module__}.{type(module).__qualname__}",
        "training": bool(module.training),
        "parameters": params,
        "requires_grad": {n: bool(p.requires_grad) for n, p in params.items()},
        "grads": {n: p.grad for n, p in params.items()},
        "buffers": {n: b for n, b in module.named_buffers() if b is not None},
        "modules": [
            [n, f"{type(m).__module__}.{type(m).__qualname__}"] for n, m in module.named_modules()
        ],  # fmt: skip
    }


def _namespace() -> dict:
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("not in an IPython kernel")
    return shell.user_ns


def _failure(err: BaseException) -> dict:
    """What the checker learns of a failure: the exception's class name, and whether it is one
    of Python's or PyTorch's own (a class of the notebook's is not named)."""
    cls = type(err)
    own = cls.__module__ in ("builtins", "torch") or cls.__module__.startswith("torch.")
    name = cls.__name__ if own else ""
    budget = cls.__name__ == "BudgetExceeded" and cls.__module__ == "utils.grading"
    return {"ok": False, "error": name, "budget": budget}

"""Plain data and tensors as bytes, for the grading checker and the student's kernel.

The checker that holds the hidden tests and the kernel that runs a student's notebook are two
processes that do not trust each other's objects: only what this module writes crosses between
them. A message is a JSON header followed by the raw bytes of its tensors (dtype and shape in the
header); nothing is pickled, and reading a message runs no code of its sender. What a message
may hold: ``None``, booleans, numbers, strings, lists, tuples, dicts with string keys, tensors,
devices, dtypes, and references to objects that stay on the kernel's side (:class:`Ref`, a
number). Anything else is refused where it is written; a message past :data:`MAX_BYTES`, nested
deeper than :data:`MAX_DEPTH` or not well formed is refused where it is read (:class:`WireError`).
"""

from __future__ import annotations

import json
import math
import struct
import weakref
from dataclasses import dataclass
from typing import Any

import torch

MAX_BYTES = 64 * 2**20
"""The largest message either side reads (a training part's parameters fit many times over)."""
MAX_DEPTH = 32
MAX_ITEMS = 200_000
"""Values (numbers, strings, tensors, ...) in one message."""

DTYPES = {
    str(d).removeprefix("torch."): d
    for d in (torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.uint8,
              torch.int8, torch.int16, torch.int32, torch.int64, torch.bool, torch.complex64,
              torch.complex128)
}  # fmt: skip


class WireError(ValueError):
    """A message that breaks the rules above."""


@dataclass(frozen=True)
class Ref:
    """An object that stays in the kernel (a module, a tensor kept for a backward pass, a data
    loader): the checker names it by ``id`` and knows its type's name, nothing else."""

    id: int
    type: str = ""


@dataclass(frozen=True)
class TensorInfo:
    """What a tensor was on the side that sent it (a received tensor is always on the CPU)."""

    device: str
    dtype: str
    requires_grad: bool
    grad_fn: bool
    """Whether it was attached to an autograd graph (not a leaf)."""


def dumps(value: Any, refer=None) -> bytes:
    """``value`` as a message; ``refer(obj) -> Ref`` gives other objects a reference (on the
    kernel's side), else they are refused."""
    blobs: list[bytes] = []
    counter = [0]

    def walk(v: Any, depth: int) -> Any:
        counter[0] += 1
        if depth > MAX_DEPTH or counter[0] > MAX_ITEMS:
            raise WireError("the value is nested too deeply or holds too many items")
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int):
            return v if abs(v) < 2**63 else {"float": float(v)}
        if isinstance(v, float):
            return v if math.isfinite(v) else {"float": repr(v)}
        if isinstance(v, Ref):
            return {"ref": v.id, "type": v.type}
        if isinstance(v, torch.device):
            return {"device": str(v)}
        if isinstance(v, torch.dtype) and str(v).removeprefix("torch.") in DTYPES:
            return {"dtype": str(v).removeprefix("torch.")}
        if isinstance(v, torch.Tensor):
            return _tensor(v, blobs)
        if isinstance(v, (list, tuple)) and type(v) in (list, tuple):
            items = [walk(x, depth + 1) for x in v]
            return items if type(v) is list else {"tuple": items}
        if type(v) is dict and all(type(k) is str for k in v):
            return {"dict": [[k, walk(x, depth + 1)] for k, x in v.items()]}
        if refer is not None:
            ref = refer(v)
            return {"ref": ref.id, "type": ref.type}
        raise WireError(f"a {type(v).__name__} cannot be sent")

    header = json.dumps(walk(value, 0), allow_nan=False).encode()
    out = struct.pack(">I", len(header)) + header + b"".join(blobs)
    if len(out) > MAX_BYTES:
        raise WireError(f"the message is larger than {MAX_BYTES // 2**20} MB")
    return out


def _tensor(t: torch.Tensor, blobs: list[bytes]) -> dict:
    dtype = str(t.dtype).removeprefix("torch.")
    if dtype not in DTYPES:
        raise WireError(f"tensors of dtype {dtype} cannot be sent")
    info = {"tensor": dtype, "shape": list(t.shape), "device": str(t.device),
            "requires_grad": bool(t.requires_grad), "grad_fn": t.grad_fn is not None}  # fmt: skip
    if t.device.type == "meta":
        return info
    data = t.detach().to("cpu").contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
    offset = sum(len(b) for b in blobs)
    blobs.append(data)
    return {**info, "at": [offset, len(data)]}


def loads(message: bytes, resolve=None) -> Any:
    """The value of a message written by :func:`dumps`; ``resolve(Ref) -> object`` turns
    references into objects (on the kernel's side), else they stay :class:`Ref`. Tensors come
    back on the CPU (``meta`` ones on ``meta``); :func:`info` says what they were."""
    if not isinstance(message, (bytes, bytearray)) or len(message) > MAX_BYTES:
        raise WireError("not a message, or larger than the limit")
    if len(message) < 4:
        raise WireError("a message too short to hold its header")
    size = struct.unpack(">I", message[:4])[0]
    try:
        header = json.loads(bytes(message[4 : 4 + size]))
    except ValueError as err:
        raise WireError("the header is not JSON") from err
    data = memoryview(message)[4 + size :]
    counter = [0]

    def walk(v: Any, depth: int) -> Any:
        counter[0] += 1
        if depth > MAX_DEPTH or counter[0] > MAX_ITEMS:
            raise WireError("the value is nested too deeply or holds too many items")
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return v
        if isinstance(v, list):
            return [walk(x, depth + 1) for x in v]
        if not isinstance(v, dict):
            raise WireError("an unknown kind of value")
        if "float" in v:
            return float(v["float"])
        if "tuple" in v:
            return tuple(walk(x, depth + 1) for x in _list(v["tuple"]))
        if "dict" in v:
            return {_str(k): walk(x, depth + 1) for k, x in (_pair(p) for p in _list(v["dict"]))}
        if "ref" in v:
            ref = Ref(_int(v["ref"]), _str(v.get("type", "")))
            return resolve(ref) if resolve is not None else ref
        if "tensor" in v:
            return _read_tensor(v, data)
        if "device" in v:
            return torch.device(_str(v["device"])[:40])
        if "dtype" in v and _str(v["dtype"]) in DTYPES:
            return DTYPES[v["dtype"]]
        raise WireError("an unknown kind of value")

    return walk(header, 0)


_INFO: dict[int, tuple[Any, TensorInfo]] = {}


def info(t: torch.Tensor) -> TensorInfo | None:
    """What a tensor read by :func:`loads` was on the side that sent it."""
    held = _INFO.get(id(t))
    return held[1] if held is not None and held[0]() is t else None


def _read_tensor(v: dict, data: memoryview) -> torch.Tensor:
    dtype = DTYPES.get(_str(v["tensor"]))
    shape = [_int(n) for n in _list(v.get("shape", []))]
    if dtype is None or any(n < 0 for n in shape):
        raise WireError("a tensor of an unknown dtype or a negative size")
    described = TensorInfo(_str(v.get("device", "cpu"))[:40], str(dtype).removeprefix("torch."),
                           bool(v.get("requires_grad")), bool(v.get("grad_fn")))  # fmt: skip
    if "at" not in v:
        t = torch.empty(shape, dtype=dtype, device="meta")
    else:
        offset, length = (_int(n) for n in _list(v["at"]))
        expected = math.prod(shape) * torch.empty((), dtype=dtype).element_size()
        if length != expected or offset < 0 or offset + length > len(data):
            raise WireError("a tensor whose bytes do not match its shape")
        raw = bytearray(data[offset : offset + length])
        t = torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
        t = t.view(dtype).reshape(shape)
    key = id(t)
    _INFO[key] = (weakref.ref(t, lambda _: _INFO.pop(key, None)), described)
    return t


def _list(v: Any) -> list:
    if not isinstance(v, list):
        raise WireError("a list was expected")
    return v


def _pair(v: Any) -> tuple[Any, Any]:
    if not isinstance(v, list) or len(v) != 2:
        raise WireError("a key and a value were expected")
    return v[0], v[1]


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise WireError("a string was expected")
    return v


def _int(v: Any) -> int:
    if type(v) is not int:
        raise WireError("an integer was expected")
    return v

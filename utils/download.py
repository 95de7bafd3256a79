"""Online datasets for full runs: download once into a cache folder, verify, parse.

Nothing here is called on import or in the quick CPU run. Offline, every loader fails with one
:class:`DatasetUnavailable` error that names the bundled dataset to use instead.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

DATA_ENV = "ITM528_DATA"
"""Environment variable naming the cache folder (default: ``~/.cache/itm528``)."""


class DatasetUnavailable(RuntimeError):
    """A dataset could not be downloaded or failed verification."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a dataset: where it lives and how to recognise the right bytes."""

    name: str
    url: str
    md5: str | None = None
    size: int | None = None


_MNIST = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_IDX = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")  # fmt: skip


def _idx_files(base: str, md5s: tuple[str, ...]) -> tuple[RemoteFile, ...]:
    return tuple(RemoteFile(n, base + n, md5) for n, md5 in zip(_IDX, md5s, strict=True))


REMOTE: dict[str, tuple[RemoteFile, ...]] = {
    "mnist": _idx_files(
        _MNIST,
        (
            "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "d53e105ee54ea40749a09fcbcd1e9432",
            "9fb629c4189551a2d022fa330f9573f3",
            "ec29112dd5afa0611ce80d1b7f02629c",
        ),
    ),  # fmt: skip
    "fashion-mnist": _idx_files(
        _FASHION,
        (
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "25c81989df183df01b3e8a0aad5dffbe",
            "bef4ecab320f06d8554ea6380940ec79",
            "bb300cfdad3c16e7a12a480ee83cd310",
        ),
    ),  # fmt: skip
    "cifar10": (
        RemoteFile(
            "cifar-10-binary.tar.gz",
            "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
            "c32a1d4ab5d03f1284b67883e8d87530",
        ),
    ),
    # No checksum is published for this file; its exact size is checked instead.
    "tiny-shakespeare": (
        RemoteFile(
            "input.txt",
            "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            size=1115394,
        ),
    ),
}

OFFLINE_ALTERNATIVE = {
    "mnist": "utils.data.load_digits()",
    "fashion-mnist": "utils.data.load_digits()",
    "cifar10": "utils.data.sample_images()",
    "tiny-shakespeare": "utils.sequences.stdlib_text()",
}


def data_dir(root: str | os.PathLike | None = None) -> Path:
    """The cache folder: ``root`` if given, else ``$ITM528_DATA``, else ``~/.cache/itm528``."""
    path = Path(root or os.environ.get(DATA_ENV) or Path.home() / ".cache" / "itm528")
    return path.expanduser()


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _problem(path: Path, spec: RemoteFile) -> str | None:
    """What is wrong with the file at ``path``, or None if it is the expected one."""
    if spec.size is not None and path.stat().st_size != spec.size:
        return f"size {path.stat().st_size} bytes, expected {spec.size}"
    if spec.md5 is not None and (got := _md5(path)) != spec.md5:
        return f"md5 {got}, expected {spec.md5}"
    return None


def fetch(name: str, root: str | os.PathLike | None = None, timeout: float = 30.0) -> Path:
    """Download dataset ``name``'s files into ``data_dir(root)/name`` (once) and verify them.

    A file already in the cache is re-verified; a corrupt one is downloaded again. A download is
    written to a temporary file and moved into place only once verified, so the cache never holds
    a partial file.
    """
    if name not in REMOTE:
        raise ValueError(f"unknown dataset {name!r}; choose one of {sorted(REMOTE)}")
    folder = data_dir(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    for spec in REMOTE[name]:
        target = folder / spec.name
        if target.exists() and _problem(target, spec) is None:
            continue
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as tmp:
            part = Path(tmp.name)
            try:
                with urllib.request.urlopen(spec.url, timeout=timeout) as response:
                    shutil.copyfileobj(response, tmp)
            except (urllib.error.URLError, OSError) as err:
                tmp.close()
                part.unlink(missing_ok=True)
                raise DatasetUnavailable(
                    f"could not download {name} ({spec.url}): {getattr(err, 'reason', err)}. "
                    f"Offline? Use the bundled {OFFLINE_ALTERNATIVE[name]} instead."
                ) from None
        if (problem := _problem(part, spec)) is not None:
            part.unlink()
            raise DatasetUnavailable(
                f"{name}: {spec.url} gave a corrupt file ({problem}); nothing was cached. "
                f"Try again, or use the bundled {OFFLINE_ALTERNATIVE[name]}."
            )
        part.replace(target)
    return folder


def _read_idx(path: Path) -> np.ndarray:
    """Parse a gzipped IDX file (the MNIST format): magic, dims, then unsigned bytes."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_idx_pair(name: str, train: bool, root: str | os.PathLike | None = None):
    """MNIST or Fashion-MNIST: images (N, 1, 28, 28) in [0, 1] and labels (N,) int64."""
    folder = fetch(name, root)
    prefix = "train" if train else "t10k"
    images = _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz")
    labels = _read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz")
    x = torch.from_numpy(images.copy()).float().div_(255).unsqueeze(1)  # (N, 1, 28, 28)
    return x, torch.from_numpy(labels.astype(np.int64))


def load_cifar10(train: bool, root: str | os.PathLike | None = None):
    """CIFAR-10: images (N, 3, 32, 32) in [0, 1] and labels (N,) int64."""
    folder = fetch("cifar10", root)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] if train else ["test_batch.bin"]
    chunks = []
    with tarfile.open(folder / "cifar-10-binary.tar.gz") as tar:
        for n in names:
            member = tar.extractfile(f"cifar-10-batches-bin/{n}")
            if member is None:
                raise DatasetUnavailable(f"cifar10: {n} missing from the archive")
            chunks.append(np.frombuffer(member.read(), dtype=np.uint8).reshape(-1, 3073))
    records = np.concatenate(chunks)  # each row: 1 label byte, then 3 x 32 x 32 pixels
    x = torch.from_numpy(records[:, 1:].copy()).float().div_(255).view(-1, 3, 32, 32)
    return x, torch.from_numpy(records[:, 0].astype(np.int64))


def load_tiny_shakespeare(root: str | os.PathLike | None = None) -> str:
    """The tiny-shakespeare corpus (about 1.1 M characters) as one string."""
    return (fetch("tiny-shakespeare", root) / "input.txt").read_text(encoding="utf-8")

"""Image datasets as torch tensors: bundled ones for offline runs, online ones for full runs.

Offline (always available): scikit-learn's 8x8 handwritten digits and its two sample photos.
Online (full runs, cached): MNIST, Fashion-MNIST and CIFAR-10 through :mod:`utils.download`.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from utils import download


class Splits(NamedTuple):
    """Train, validation and test datasets of one task."""

    train: TensorDataset
    val: TensorDataset
    test: TensorDataset

    def loaders(self, batch_size: int = 64, seed: int = 0) -> tuple[DataLoader, ...]:
        """Data loaders for the three splits; only the training one shuffles (seeded)."""
        return loaders(self, batch_size, seed)


def loaders(splits: Splits, batch_size: int = 64, seed: int = 0) -> tuple[DataLoader, ...]:
    """(train, val, test) loaders; only training shuffles, with its own seeded generator."""
    gen = torch.Generator().manual_seed(seed)
    train = DataLoader(splits.train, batch_size=batch_size, shuffle=True, generator=gen)
    return (train, *(DataLoader(d, batch_size=batch_size) for d in (splits.val, splits.test)))


def split(
    x: torch.Tensor, y: torch.Tensor, fractions: tuple[float, float] = (0.2, 0.2), seed: int = 0
) -> Splits:
    """Split (x, y) into train / val / test, stratified by label, with ``fractions`` = (val, test).

    Every class keeps the same proportions in all three splits, so that a small test set is
    still a fair one.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}")
    val_frac, test_frac = fractions
    if min(fractions) < 0 or val_frac + test_frac >= 1:
        raise ValueError(f"fractions (val, test) must be >= 0 and sum below 1, got {fractions}")
    gen = torch.Generator().manual_seed(seed)
    parts: list[list[torch.Tensor]] = [[], [], []]
    for label in torch.unique(y):
        idx = torch.nonzero(y == label).flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        n_val, n_test = round(len(idx) * val_frac), round(len(idx) * test_frac)
        parts[1].append(idx[:n_val])
        parts[2].append(idx[n_val : n_val + n_test])
        parts[0].append(idx[n_val + n_test :])
    chosen = [torch.cat(p)[torch.randperm(len(torch.cat(p)), generator=gen)] for p in parts]
    return Splits(*(TensorDataset(x[i], y[i]) for i in chosen))


def digits_tensors() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 bundled 8x8 digits: images (N, 1, 8, 8) in [0, 1] and labels (N,) int64."""
    from sklearn.datasets import load_digits as sk_digits  # imported late: sklearn is slow

    bunch = sk_digits()
    x = torch.tensor(bunch.images, dtype=torch.float32).div_(16).unsqueeze(1)  # (N, 1, 8, 8)
    return x, torch.tensor(bunch.target, dtype=torch.int64)


def load_digits(fractions: tuple[float, float] = (0.2, 0.2), seed: int = 0) -> Splits:
    """The bundled 8x8 digits split train / val / test (60 / 20 / 20 % by default, stratified)."""
    return split(*digits_tensors(), fractions, seed)


def sample_images() -> dict[str, torch.Tensor]:
    """scikit-learn's two bundled photos, ``china`` and ``flower``: (3, 427, 640) in [0, 1]."""
    from sklearn.datasets import load_sample_image

    return {
        name: torch.tensor(load_sample_image(f"{name}.jpg")).permute(2, 0, 1).float() / 255
        for name in ("china", "flower")
    }


ONLINE = ("mnist", "fashion-mnist", "cifar10")


def load_images(
    name: str, val_fraction: float = 0.2, seed: int = 0, root: str | os.PathLike | None = None
) -> Splits:
    """An image-classification dataset by name: ``digits`` (bundled) or one of :data:`ONLINE`.

    Online datasets keep their official test set and ``val_fraction`` of the training set becomes
    the validation set; the digits keep 20 % for testing and ``val_fraction`` for validation.
    Online datasets are downloaded once into :func:`utils.download.data_dir`.
    """
    if name == "digits":
        return load_digits((val_fraction, 0.2), seed)
    if name not in ONLINE:
        raise ValueError(f"unknown dataset {name!r}; choose 'digits' or one of {ONLINE}")
    if name == "cifar10":
        (x, y), test = download.load_cifar10(True, root), download.load_cifar10(False, root)
    else:
        (x, y), test = (
            download.load_idx_pair(name, True, root),
            download.load_idx_pair(name, False, root),
        )
    parts = split(x, y, (val_fraction, 0.0), seed)
    return Splits(parts.train, parts.val, TensorDataset(*test))


def describe(dataset: Dataset) -> str:
    """One line: size, input shape and number of classes of a (x, y) tensor dataset."""
    x, y = dataset[:] if isinstance(dataset, TensorDataset) else dataset[0]
    return f"{len(dataset)} examples, inputs {tuple(x.shape[1:])}, {len(torch.unique(y))} classes"

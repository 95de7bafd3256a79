"""Tests of utils.data: the bundled datasets, stratified splits and loaders."""

import pytest
import torch
from torch.utils.data import TensorDataset

from utils import data

N_DIGITS = 1797


@pytest.fixture(scope="module")
def digits() -> data.Splits:
    return data.load_digits()


def _rows(*datasets: TensorDataset) -> list[tuple[float, ...]]:
    """Every example as one tuple (inputs then label), sorted: a multiset of examples."""
    rows = []
    for d in datasets:
        x, y = d.tensors
        rows += torch.cat([x.flatten(1).double(), y[:, None].double()], dim=1).tolist()
    return sorted(map(tuple, rows))


def test_digits_split_sizes_add_up_to_60_20_20(digits):
    sizes = [len(d) for d in digits]
    assert sum(sizes) == N_DIGITS
    for size, fraction in zip(sizes, (0.6, 0.2, 0.2)):
        assert abs(size / N_DIGITS - fraction) < 0.01


def test_digits_splits_are_stratified(digits):
    full = torch.bincount(data.digits_tensors()[1], minlength=10).double()
    for d, fraction in zip(digits, (0.6, 0.2, 0.2)):
        counts = torch.bincount(d.tensors[1], minlength=10)
        assert len(counts) == 10 and bool((counts > 0).all())
        assert torch.allclose(
            counts / full, torch.full((10,), fraction, dtype=torch.float64), atol=0.02
        )


def test_digits_splits_share_no_example_and_lose_none(digits):
    assert _rows(*digits) == _rows(TensorDataset(*data.digits_tensors()))


def test_digits_values_shapes_and_dtypes(digits):
    for d in digits:
        x, y = d.tensors
        assert x.dtype == torch.float32 and y.dtype == torch.int64
        assert x.shape[1:] == (1, 8, 8) and y.shape == (len(x),)
        assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert float(digits.train.tensors[0].max()) == 1.0


def test_load_digits_is_reproducible_per_seed(digits):
    again, other = data.load_digits(seed=0), data.load_digits(seed=1)
    assert torch.equal(again.train.tensors[1], digits.train.tensors[1])
    assert not torch.equal(other.train.tensors[1], digits.train.tensors[1])


def test_split_partitions_indices_by_the_fractions():
    x, y = torch.arange(40), torch.arange(40) % 4
    parts = data.split(x, y, (0.3, 0.0), seed=3)
    assert [len(p) for p in parts] == [28, 12, 0]
    seen = torch.cat([p.tensors[0] for p in parts])
    assert sorted(seen.tolist()) == list(range(40))
    for p in parts[:2]:
        px, py = p.tensors
        assert torch.equal(py, px % 4)
        assert torch.bincount(py, minlength=4).tolist() == [len(p) // 4] * 4


@pytest.mark.parametrize(
    ("n_y", "fractions", "message"),
    [
        (4, (0.2, 0.2), "x has 5 rows but y has 4"),
        (5, (0.5, 0.5), r"must be >= 0 and sum below 1, got \(0.5, 0.5\)"),
        (5, (-0.1, 0.2), "must be >= 0 and sum below 1"),
    ],
)
def test_split_rejects_bad_input(n_y, fractions, message):
    with pytest.raises(ValueError, match=message):
        data.split(torch.zeros(5, 2), torch.zeros(n_y, dtype=torch.int64), fractions)


def _labels(loader) -> list[int]:
    return torch.cat([y for _, y in loader]).tolist()


def test_train_loader_shuffles_reproducibly_with_the_seed(digits):
    train, val, test = digits.loaders(batch_size=100, seed=0)
    first = _labels(train)
    assert first != digits.train.tensors[1].tolist()
    assert sorted(first) == sorted(digits.train.tensors[1].tolist())
    assert _labels(data.loaders(digits, batch_size=100, seed=0)[0]) == first
    assert _labels(data.loaders(digits, batch_size=100, seed=1)[0]) != first
    assert [len(y) for _, y in train][:-1] == [100] * (len(train) - 1)


def test_val_and_test_loaders_keep_their_order(digits):
    _, val, test = data.loaders(digits, batch_size=64)
    assert _labels(val) == digits.val.tensors[1].tolist()
    assert _labels(test) == digits.test.tensors[1].tolist()


def test_sample_images_shapes_and_range():
    images = data.sample_images()
    assert set(images) == {"china", "flower"}
    for image in images.values():
        assert image.shape == (3, 427, 640) and image.dtype == torch.float32
        assert 0.0 <= float(image.min()) < 0.1 and 0.9 < float(image.max()) <= 1.0


def test_load_images_digits_uses_val_fraction():
    splits = data.load_images("digits", val_fraction=0.1, seed=0)
    sizes = [len(d) for d in splits]
    assert sum(sizes) == N_DIGITS
    assert abs(sizes[1] / N_DIGITS - 0.1) < 0.01 and abs(sizes[2] / N_DIGITS - 0.2) < 0.01


def test_load_images_unknown_name():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'; choose 'digits'"):
        data.load_images("imagenet")


def test_describe(digits):
    assert (
        data.describe(digits.train) == f"{len(digits.train)} examples, inputs (1, 8, 8), 10 classes"
    )

"""Tests of utils.config: the full-run switch, the device, seeding and the setup line."""

import os
import random

import numpy as np
import pytest
import torch

from utils import config


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("false", False),
        ("TRUE", True),
        (" False ", False),
        ("yes", True),
        ("off", False),
    ],
)
def test_full_run_obeys_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv(config.FULL_RUN_ENV, value)
    assert config.full_run() is expected


@pytest.mark.parametrize("value", ["2", "maybe", "full"])
def test_full_run_rejects_garbage(monkeypatch, value):
    monkeypatch.setenv(config.FULL_RUN_ENV, value)
    with pytest.raises(ValueError, match=f"ITM528_FULL_RUN must be 1 or 0.*{value!r}"):
        config.full_run()


def test_full_run_defaults_to_whether_cuda_is_available(monkeypatch):
    monkeypatch.delenv(config.FULL_RUN_ENV, raising=False)
    assert config.full_run() is torch.cuda.is_available()
    for available in (True, False):
        monkeypatch.setattr(torch.cuda, "is_available", lambda available=available: available)
        assert config.full_run() is available


def test_get_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert config.get_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert config.get_device() == torch.device("mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert config.get_device() == torch.device("cpu")


def _draws() -> tuple[list[float], list[float], float]:
    return torch.rand(3).tolist(), np.random.rand(3).tolist(), random.random()


def test_set_seed_makes_torch_numpy_and_random_reproducible():
    config.set_seed(3)
    first = _draws()
    config.set_seed(3)
    assert _draws() == first
    config.set_seed(4)
    other = _draws()
    assert all(a != b for a, b in zip(other, first))


@pytest.mark.parametrize("seed", [-1, 1.5, True, "3"])
def test_set_seed_rejects_anything_but_a_non_negative_int(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        config.set_seed(seed)


def test_setup_seeds_prints_one_device_line_and_returns_the_device(monkeypatch, capsys):
    monkeypatch.setenv(config.FULL_RUN_ENV, "0")
    device = config.setup(seed=7)
    draw = torch.rand(4)
    torch.manual_seed(7)
    assert torch.equal(draw, torch.rand(4))
    assert isinstance(device, torch.device)
    assert device == config.get_device()
    lines = capsys.readouterr().out.splitlines()
    device_lines = [line for line in lines if "device:" in line]
    assert len(device_lines) == 1
    assert f"device: {device}" in device_lines[0]
    assert "seed 7" in device_lines[0]
    assert any("quick run" in line for line in lines)


def test_setup_reports_a_full_run_when_asked(monkeypatch, capsys):
    monkeypatch.setenv(config.FULL_RUN_ENV, "1")
    config.setup()
    out = capsys.readouterr().out
    assert "budget: full run" in out
    assert "quick run" not in out


@pytest.fixture(autouse=True)
def restore_threads():
    """Give PyTorch back the thread count it had, for the tests that follow (setup changes it)."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


USABLE = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@pytest.mark.parametrize(
    ("free", "expected"),
    [(2.0, min(USABLE, 2)), (1.8, min(USABLE, 2)), (1.6, 1), (1.0, 1), (0.0, 1), (None, USABLE)],
)
def test_the_cpu_gets_a_thread_per_free_core(monkeypatch, free, expected):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(config, "free_cores", lambda: free)
    assert config.set_cpu_threads(torch.device("cpu")) == expected
    assert torch.get_num_threads() == expected


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("1", 1), ("0", 1), ("many", 1)])
def test_omp_num_threads_decides_when_set(monkeypatch, value, expected):
    monkeypatch.setenv("OMP_NUM_THREADS", value)
    monkeypatch.setattr(config, "free_cores", lambda: 0.0)  # for the values that say nothing
    assert config.set_cpu_threads(torch.device("cpu")) == expected
    assert torch.get_num_threads() == expected


def test_free_cores_counts_the_idle_share_of_every_core(monkeypatch):
    ticks = iter([(100, 1000), (160, 1100)])  # 60 of 100 ticks idle
    monkeypatch.setattr(config, "_cpu_ticks", lambda: next(ticks))
    assert config.free_cores(0.0) == pytest.approx(0.6 * os.cpu_count())
    monkeypatch.setattr(config, "_cpu_ticks", lambda: None)
    assert config.free_cores(0.0) is None


def test_free_cores_reads_this_machine():
    free = config.free_cores(0.05)
    if os.path.exists("/proc/stat"):
        assert free is not None and 0.0 <= free <= os.cpu_count()


def test_a_gpu_leaves_the_cpu_threads_alone(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    torch.set_num_threads(2)
    for device in ("cuda", "mps"):
        assert config.set_cpu_threads(torch.device(device)) == 2
    assert torch.get_num_threads() == 2


def test_setup_uses_and_prints_one_cpu_thread_on_a_busy_cpu(monkeypatch, capsys):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(config, "get_device", lambda: torch.device("cpu"))
    monkeypatch.setattr(config, "free_cores", lambda: 0.9)
    torch.set_num_threads(2)
    config.setup()
    assert torch.get_num_threads() == 1
    line = next(line for line in capsys.readouterr().out.splitlines() if "device:" in line)
    assert "| 1 CPU thread |" in line

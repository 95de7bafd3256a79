"""Tests of utils.training: the training loop, evaluation and the history."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from utils import training


def _separable(n: int = 64, seed: int = 0) -> TensorDataset:
    """Two well separated clusters in 2-D, labels 0 and 1."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 2, generator=gen) * 0.3 + (2.0 * y[:, None] - 1.0) * 2.0
    return TensorDataset(x, y)


@pytest.fixture
def problem():
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    train = DataLoader(_separable(), batch_size=16, shuffle=True)
    val = DataLoader(_separable(seed=1), batch_size=16)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, train, val, optimizer


def test_fit_learns_a_linearly_separable_problem(problem, capsys):
    model, train, val, optimizer = problem
    metrics = {"accuracy": training.accuracy}
    history = training.fit(
        model,
        train,
        optimizer,
        F.cross_entropy,
        10,
        val_loader=val,
        metrics=metrics,
        progress=False,
    )
    assert set(history.records) == {"train_loss", "val_loss", "val_accuracy"}
    assert history.epochs == 10 and all(len(v) == 10 for v in history.records.values())
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_loss"][-1] < history["val_loss"][0]
    assert history["val_accuracy"][-1] == 1.0
    assert history.seconds > 0
    out = capsys.readouterr().out
    assert out.count("epoch 10:") == 1 and "val_accuracy 1" in out


def test_fit_without_validation_logs_only_the_training_loss(problem):
    model, train, _, optimizer = problem
    history = training.fit(model, train, optimizer, F.cross_entropy, 2, progress=False)
    assert set(history.records) == {"train_loss"}
    assert len(history["train_loss"]) == 2
    per_epoch = len(train)  # the training loss of every batch, its mean weighted by batch size
    sizes = [len(y) for _, y in train]
    assert len(history.batch_losses) == 2 * per_epoch
    for epoch, mean in enumerate(history["train_loss"]):
        losses = history.batch_losses[epoch * per_epoch : (epoch + 1) * per_epoch]
        weighted = sum(loss * size for loss, size in zip(losses, sizes, strict=True))
        assert mean == pytest.approx(weighted / sum(sizes))


def test_callback_returning_true_stops_early(problem):
    model, train, val, optimizer = problem
    seen = []

    def callback(epoch: int, history: training.History) -> bool:
        seen.append((epoch, history.epochs))
        return epoch == 3

    history = training.fit(
        model,
        train,
        optimizer,
        F.cross_entropy,
        10,
        val_loader=val,
        callback=callback,
        progress=False,
    )
    assert seen == [(1, 1), (2, 2), (3, 3)]
    assert history.epochs == 3 and len(history["val_loss"]) == 3


def _grad_norms(model: nn.Module, optimizer: torch.optim.Optimizer) -> list[float]:
    """Record the global gradient norm each time ``optimizer.step`` runs."""
    norms: list[float] = []
    step = optimizer.step

    def spy(*args, **kwargs):
        grads = [p.grad.norm() for p in model.parameters() if p.grad is not None]
        norms.append(torch.stack(grads).norm().item())
        return step(*args, **kwargs)

    optimizer.step = spy
    return norms


@pytest.mark.parametrize("clip", [None, 1.0])
def test_clip_grad_norm_is_applied(problem, clip):
    model, train, _, optimizer = problem
    norms = _grad_norms(model, optimizer)
    loss_fn = lambda out, y: 1000 * F.cross_entropy(out, y)
    training.fit(model, train, optimizer, loss_fn, 1, clip_grad_norm=clip, progress=False)
    assert len(norms) == len(train)
    if clip is None:
        assert max(norms) > 10
    else:
        assert max(norms) <= clip + 1e-5


def test_scheduler_is_stepped_once_per_batch(problem):
    model, train, _, optimizer = problem
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 / (1 + step))
    training.fit(model, train, optimizer, F.cross_entropy, 3, scheduler=scheduler, progress=False)
    assert scheduler.last_epoch == 3 * len(train)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 / (1 + 3 * len(train)))


class Probe(nn.Module):
    """Returns its inputs; remembers whether it ran in training mode and with gradients."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1))
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return x * self.weight


def test_evaluate_weights_by_batch_size():
    x = torch.tensor([0.0, 0.0, 0.0, 0.0, 10.0])  # batches [0, 0], [0, 0], [10]
    loader = DataLoader(TensorDataset(x, torch.zeros(5)), batch_size=2)
    metrics = {"peak": lambda out, y: float(out.max())}
    scores = training.evaluate(Probe(), loader, lambda out, y: out.mean(), metrics)
    assert scores == pytest.approx({"loss": 2.0, "peak": 2.0})  # not 10 / 3


@pytest.mark.parametrize("mode", [True, False])
def test_evaluate_runs_in_eval_mode_without_grad_and_restores_the_mode(mode):
    model = Probe().train(mode)
    loader = DataLoader(TensorDataset(torch.ones(4), torch.zeros(4)), batch_size=2)
    training.evaluate(model, loader, lambda out, y: out.mean())
    assert model.calls == [(False, False)] * 2
    assert model.training is mode


def test_evaluate_rejects_an_empty_loader_and_restores_the_mode():
    model = Probe().train()
    with pytest.raises(ValueError, match="loader yielded no examples"):
        training.evaluate(model, [], lambda out, y: out.mean())
    assert model.training


def test_fit_rejects_an_empty_training_loader():
    model = Probe()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="training loader yielded no examples"):
        training.fit(model, [], optimizer, lambda out, y: out.mean(), 1, progress=False)


@pytest.mark.parametrize("epochs", [0, -1, 2.5, "3"])
def test_fit_rejects_bad_epochs(problem, epochs):
    model, train, _, optimizer = problem
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        training.fit(model, train, optimizer, F.cross_entropy, epochs)


def test_progress_bar_only_when_asked(problem, capsys, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    model, train, _, optimizer = problem
    training.fit(model, train, optimizer, F.cross_entropy, 2, progress=False)
    quiet = capsys.readouterr()
    assert quiet.err == ""
    assert len(quiet.out.splitlines()) == 1 and quiet.out.startswith("epoch 2:")
    training.fit(model, train, optimizer, F.cross_entropy, 2, progress=True)
    assert "epochs" in capsys.readouterr().err


def test_log_every_prints_a_line_per_epoch(problem, capsys):
    model, train, _, optimizer = problem
    training.fit(model, train, optimizer, F.cross_entropy, 4, log_every=1, progress=False)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch 1", "epoch 2", "epoch 3", "epoch 4"]


def test_accuracy():
    outputs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert training.accuracy(outputs, torch.tensor([0, 1, 1, 0])) == 0.5


def test_history_access_and_summary():
    history = training.History()
    assert history.epochs == 0 and "loss" not in history
    history.log({"loss": 2, "acc": 0.5})
    history.log({"loss": 1})
    assert history["loss"] == [2.0, 1.0] and history["acc"] == [0.5]
    assert "loss" in history and history.epochs == 2
    assert history.summary().startswith("epoch 2: loss 1, acc 0.5")
    with pytest.raises(KeyError, match="no 'val_loss' in history; it has \\['acc', 'loss'\\]"):
        history["val_loss"]

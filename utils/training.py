"""A small, model-agnostic training loop: ``fit`` and ``evaluate`` with a ``History``.

Everything the loop uses is passed in: model, data loaders, optimizer, loss and metrics. A batch is
an ``(inputs, targets)`` pair; the loss is ``loss_fn(model(inputs), targets)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

Metric = Callable[[torch.Tensor, torch.Tensor], float]
"""A metric maps (model outputs, targets) of one batch to a number, averaged over examples."""


def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fraction of rows whose arg-max matches the integer target."""
    return (outputs.argmax(dim=-1) == targets).float().mean().item()


@dataclass
class History:
    """Per-epoch losses and metrics: ``history["val_accuracy"][-1]`` is the last one.

    ``batch_losses`` holds the training loss of every batch, in order, for learning curves.
    """

    records: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    batch_losses: list[float] = field(default_factory=list)

    def log(self, values: Mapping[str, float]) -> None:
        """Append one epoch's values."""
        for key, value in values.items():
            self.records.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.records:
            raise KeyError(f"no {key!r} in history; it has {sorted(self.records)}")
        return self.records[key]

    def __contains__(self, key: object) -> bool:
        return key in self.records

    @property
    def epochs(self) -> int:
        """Number of epochs logged."""
        return max((len(v) for v in self.records.values()), default=0)

    def summary(self) -> str:
        """One line: the epoch count, the last value of each entry and the time taken."""
        last = ", ".join(f"{k} {v[-1]:.4g}" for k, v in self.records.items())
        return f"epoch {self.epochs}: {last} ({self.seconds:.1f} s)"


def _to(batch: Iterable[torch.Tensor], device: torch.device) -> list[torch.Tensor]:
    return [t.to(device, non_blocking=True) for t in batch]


def _device_of(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    metrics: Mapping[str, Metric] | None = None,
) -> dict[str, float]:
    """Mean loss and metrics over ``loader`` (weighted by batch size), the model in eval mode."""
    device = _device_of(model)
    was_training = model.training
    model.eval()
    totals: dict[str, float] = {}
    count = 0
    for x, y in loader:
        x, y = _to((x, y), device)
        out = model(x)
        n = len(y)
        values = {"loss": loss_fn(out, y).item()}
        values |= {name: metric(out, y) for name, metric in (metrics or {}).items()}
        for k, v in values.items():
            totals[k] = totals.get(k, 0.0) + v * n
        count += n
    model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader yielded no examples")
    return {k: v / count for k, v in totals.items()}


def fit(
    model: nn.Module,
    train_loader: Iterable,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    epochs: int,
    *,
    val_loader: Iterable | None = None,
    metrics: Mapping[str, Metric] | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    clip_grad_norm: float | None = None,
    callback: Callable[[int, History], bool | None] | None = None,
    log_every: int | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` for ``epochs`` epochs and return the per-epoch ``History``.

    The model stays on its own device; batches are moved there. ``scheduler`` is stepped after
    every batch (as ``OneCycleLR`` expects). ``clip_grad_norm`` clips the global gradient norm.
    ``callback(epoch, history)`` runs after each epoch; returning ``True`` stops training (early
    stopping). A line is printed every ``log_every`` epochs and after the last one.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    device = _device_of(model)
    history = History()
    start = time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for x, y in train_loader:
            x, y = _to((x, y), device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            history.batch_losses.append(loss.item())
            total += history.batch_losses[-1] * len(y)
            count += len(y)
        if count == 0:
            raise ValueError("fit: the training loader yielded no examples")
        values = {"train_loss": total / count}
        if val_loader is not None:
            scores = evaluate(model, val_loader, loss_fn, metrics)
            values |= {f"val_{k}": v for k, v in scores.items()}
        history.log(values)
        history.seconds = time.perf_counter() - start
        bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()})
        stop = bool(callback(epoch, history)) if callback is not None else False
        if epoch == epochs or stop or (log_every and epoch % log_every == 0):
            print(history.summary())
        if stop:
            break
    bar.close()
    return history

"""Plots the chapters share: loss curves and their moving averages, image grids, heatmaps,
decision boundaries.

Each function draws on the ``ax`` it is given (or a new figure) and returns the axes, so that a
notebook can add titles or combine plots. Nothing is shown or saved here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from utils.training import History


def _axes(ax: Axes | None, figsize: tuple[float, float] = (5, 3.5)) -> Axes:
    return ax if ax is not None else plt.subplots(figsize=figsize, layout="constrained")[1]


def plot_history(
    history: History | Mapping[str, Sequence[float]],
    keys: Sequence[str] | None = None,
    ax: Axes | None = None,
    logy: bool = False,
) -> Axes:
    """Curves of the per-epoch values in ``history`` (by default every ``*loss`` entry)."""
    records = history.records if isinstance(history, History) else dict(history)
    keys = list(keys) if keys is not None else [k for k in records if k.endswith("loss")]
    missing = [k for k in keys if k not in records]
    if missing:
        raise KeyError(f"not in history: {missing}; it has {sorted(records)}")
    ax = _axes(ax)
    for key in keys:
        values = records[key]
        ax.plot(range(1, len(values) + 1), values, label=key.replace("_", " "))
    ax.set(xlabel="epoch", yscale="log" if logy else "linear")
    ax.legend()
    return ax


def plot_moving_average(
    values: Sequence[float], n: int, ax: Axes | None = None, **line: object
) -> Axes:
    """The mean of each ``n`` consecutive ``values`` (say, the losses of single steps), drawn at
    the step that ends its window (1-based); ``line`` goes to ``ax.plot`` (label, color, ...)."""
    if not isinstance(n, int) or not 1 <= n <= len(values):
        raise ValueError(f"n must be an int from 1 to len(values) = {len(values)}, got {n!r}")
    means = np.convolve(np.asarray(values, dtype=float), np.ones(n) / n, mode="valid")
    ax = _axes(ax)
    ax.plot(np.arange(n, len(values) + 1), means, **line)
    return ax


def image_grid(
    images: torch.Tensor,
    labels: Sequence[object] | None = None,
    ncols: int = 8,
    cmap: str = "gray_r",
    size: float = 1.2,
) -> plt.Figure:
    """A grid of (N, C, H, W) or (N, H, W) images, each titled by its label if given."""
    images = images.detach().cpu()
    if images.dim() == 3:
        images = images.unsqueeze(1)
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be (N, H, W) or (N, 1|3, H, W), got {tuple(images.shape)}")
    n = len(images)
    if labels is not None and len(labels) != n:
        raise ValueError(f"{n} images but {len(labels)} labels")
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            img = images[i].permute(1, 2, 0).squeeze(-1).clamp(0, 1).numpy()
            ax.imshow(img, cmap=cmap if img.ndim == 2 else None, vmin=0, vmax=1)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=9)
    fig.tight_layout()
    return fig


def heatmap(
    matrix: torch.Tensor | np.ndarray,
    xlabels: Sequence[object] | None = None,
    ylabels: Sequence[object] | None = None,
    ax: Axes | None = None,
    cmap: str = "viridis",
    annotate: bool = False,
    colorbar: bool = True,
) -> Axes:
    """A matrix as an image (attention weights, confusion counts), rows top to bottom."""
    m = matrix.detach().cpu().numpy() if isinstance(matrix, torch.Tensor) else np.asarray(matrix)
    if m.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D matrix, got shape {m.shape}")
    ax = _axes(ax)
    im = ax.imshow(m, cmap=cmap, aspect="auto")
    for setter, labels in ((ax.set_xticks, xlabels), (ax.set_yticks, ylabels)):
        if labels is not None:
            setter(range(len(labels)), [str(s) for s in labels])
    if annotate:
        for (i, j), v in np.ndenumerate(m):
            ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=8, color="w")
    if colorbar:
        ax.figure.colorbar(im, ax=ax)
    return ax


def confusion_matrix(
    predictions: torch.Tensor, targets: torch.Tensor, n_classes: int
) -> torch.Tensor:
    """Counts (n_classes, n_classes): row = true class, column = predicted class."""
    if predictions.numel() != targets.numel():
        raise ValueError(
            f"{predictions.numel()} predictions but {targets.numel()} targets; "
            "expected one prediction per target"
        )
    for role, ids in (("predictions", predictions), ("targets", targets)):
        if ids.numel() and (ids.min() < 0 or ids.max() >= n_classes):
            raise ValueError(
                f"{role} must be class ids in 0..{n_classes - 1}, "
                f"got values from {int(ids.min())} to {int(ids.max())}"
            )
    idx = targets.flatten().long() * n_classes + predictions.flatten().long()
    return torch.bincount(idx.cpu(), minlength=n_classes**2).view(n_classes, n_classes)


def plot_confusion(
    predictions: torch.Tensor, targets: torch.Tensor, n_classes: int, ax: Axes | None = None
) -> Axes:
    """The confusion matrix as a heatmap: row = true class, column = predicted class."""
    classes = range(n_classes)
    counts = confusion_matrix(predictions, targets, n_classes)
    ax = heatmap(counts, classes, classes, ax=ax, cmap="Blues")
    ax.set(xlabel="predicted", ylabel="true")
    return ax


def decision_boundary(
    predict: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    y: torch.Tensor,
    ax: Axes | None = None,
    resolution: int = 200,
    margin: float = 0.5,
) -> Axes:
    """Regions of a 2-D classifier and the points (x: (N, 2), y: (N,)) on top.

    ``predict`` maps a (M, 2) float tensor to (M,) class ids, or (M, K) scores (arg-max taken).
    """
    if x.dim() != 2 or x.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2-D points (N, 2), got {tuple(x.shape)}")
    x, y = x.detach().cpu(), y.detach().cpu()
    lo, hi = x.min(0).values - margin, x.max(0).values + margin
    gx, gy = torch.meshgrid(
        torch.linspace(lo[0], hi[0], resolution),
        torch.linspace(lo[1], hi[1], resolution),
        indexing="xy",
    )
    grid = torch.stack([gx.flatten(), gy.flatten()], dim=1)  # (R*R, 2)
    with torch.no_grad():
        out = predict(grid).detach().cpu()
    regions = (out.argmax(-1) if out.dim() == 2 else out).view(resolution, resolution)
    ax = _axes(ax, (4.5, 4))
    ax.contourf(
        gx, gy, regions, alpha=0.25, cmap="tab10", vmin=0, vmax=9, levels=np.arange(-0.5, 10)
    )
    ax.scatter(
        x[:, 0], x[:, 1], c=y, cmap="tab10", vmin=0, vmax=9, s=12, edgecolors="k", linewidths=0.3
    )
    ax.set(xlim=(float(lo[0]), float(hi[0])), ylim=(float(lo[1]), float(hi[1])))
    return ax

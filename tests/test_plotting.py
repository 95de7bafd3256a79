"""Tests of utils.plotting: each plot returns its axes or figure with the expected artists."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.contour import ContourSet

from utils import plotting
from utils.training import History


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def history() -> History:
    h = History()
    for loss, val, acc in ((1.0, 1.2, 0.5), (0.5, 0.7, 0.8), (0.25, 0.4, 0.9)):
        h.log({"train_loss": loss, "val_loss": val, "val_accuracy": acc})
    return h


def test_plot_history_draws_every_loss_by_default(history):
    ax = plotting.plot_history(history)
    assert [line.get_label() for line in ax.lines] == ["train loss", "val loss"]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    assert list(ax.lines[1].get_ydata()) == [1.2, 0.7, 0.4]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train loss", "val loss"]
    assert ax.get_yscale() == "linear"


def test_plot_moving_average_draws_window_means_at_the_window_ends():
    _, ax = plt.subplots()
    out = plotting.plot_moving_average([1, 2, 3, 4, 5], 2, ax=ax, label="loss", color="red")
    assert out is ax and ax.lines[0].get_label() == "loss" and ax.lines[0].get_color() == "red"
    assert list(ax.lines[0].get_xdata()) == [2, 3, 4, 5]
    assert list(ax.lines[0].get_ydata()) == [1.5, 2.5, 3.5, 4.5]
    for bad in (0, 6, 2.0):
        with pytest.raises(ValueError, match="n must be an int from 1 to len"):
            plotting.plot_moving_average([1, 2, 3, 4, 5], bad)


def test_plot_history_chosen_keys_on_a_given_axes_from_a_mapping(history):
    _, ax = plt.subplots()
    out = plotting.plot_history(dict(history.records), keys=["val_accuracy"], ax=ax, logy=True)
    assert out is ax
    assert len(ax.lines) == 1 and ax.lines[0].get_label() == "val accuracy"
    assert list(ax.lines[0].get_ydata()) == [0.5, 0.8, 0.9]
    assert ax.get_yscale() == "log"


def test_plot_history_missing_key(history):
    with pytest.raises(KeyError, match=r"not in history: \['test_loss'\]"):
        plotting.plot_history(history, keys=["train_loss", "test_loss"])


def _images_of(fig: plt.Figure) -> list:
    return [im for ax in fig.axes for im in ax.images]


def test_image_grid_layout_titles_and_values():
    images = torch.linspace(-1, 2, 10 * 64).view(10, 1, 8, 8)
    fig = plotting.image_grid(images, labels=list("abcdefghij"), ncols=4)
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 12  # 3 rows of 4
    shown = _images_of(fig)
    assert len(shown) == 10
    assert [ax.get_title() for ax in fig.axes[:10]] == list("abcdefghij")
    assert shown[0].get_array().shape == (8, 8)
    assert shown[0].get_array().min() == 0.0 and shown[-1].get_array().max() == 1.0  # clamped
    np.testing.assert_allclose(shown[3].get_array(), images[3, 0].clamp(0, 1).numpy())


def test_image_grid_accepts_unbatched_channels_and_rgb():
    fig = plotting.image_grid(torch.rand(3, 5, 5))
    assert len(_images_of(fig)) == 3 and len(fig.axes) == 8
    fig = plotting.image_grid(torch.rand(2, 3, 5, 6), ncols=2)
    shown = _images_of(fig)
    assert len(shown) == 2 and shown[0].get_array().shape == (5, 6, 3)


@pytest.mark.parametrize("shape", [(4, 2, 8, 8), (8, 8), (1, 1, 1, 8, 8)])
def test_image_grid_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="images must be"):
        plotting.image_grid(torch.rand(shape))


def test_heatmap_shows_the_matrix_with_labels_and_annotations():
    m = torch.tensor([[0.1, 0.9, 0.5], [0.3, 0.2, 0.7]])
    ax = plotting.heatmap(m, xlabels=["a", "b", "c"], ylabels=["x", "y"], annotate=True)
    np.testing.assert_allclose(ax.images[0].get_array(), m.numpy())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    assert [t.get_text() for t in ax.texts] == ["0.1", "0.9", "0.5", "0.3", "0.2", "0.7"]
    assert len(ax.figure.axes) == 2  # the heatmap and its colour bar


def test_heatmap_numpy_without_colorbar():
    m = np.arange(6).reshape(3, 2)
    ax = plotting.heatmap(m, colorbar=False)
    assert np.array_equal(ax.images[0].get_array(), m)
    assert len(ax.figure.axes) == 1 and not ax.texts


@pytest.mark.parametrize("matrix", [np.arange(4), np.zeros((2, 2, 2))])
def test_heatmap_rejects_non_matrices(matrix):
    with pytest.raises(ValueError, match="heatmap needs a 2-D matrix"):
        plotting.heatmap(matrix)


PREDICTIONS = torch.tensor([0, 1, 1, 2, 2, 2])
TARGETS = torch.tensor([0, 1, 2, 2, 2, 0])
COUNTS = [[1, 0, 1], [0, 1, 0], [0, 1, 2]]  # row = true, column = predicted


def test_confusion_matrix_counts():
    assert plotting.confusion_matrix(PREDICTIONS, TARGETS, 3).tolist() == COUNTS
    assert plotting.confusion_matrix(PREDICTIONS, TARGETS, 4).sum() == 6


@pytest.mark.parametrize(
    ("predictions", "targets", "message"),
    [
        (torch.tensor([0, 1]), torch.tensor([0, 1, 1]), "2 predictions but 3 targets"),
        (torch.tensor([0, 3]), torch.tensor([0, 1]), r"predictions must be class ids in 0\.\.2"),
        (torch.tensor([0, 1]), torch.tensor([-1, 1]), r"targets must be class ids in 0\.\.2"),
    ],
)
def test_confusion_matrix_rejects_bad_input(predictions, targets, message):
    with pytest.raises(ValueError, match=message):
        plotting.confusion_matrix(predictions, targets, 3)


def test_plot_confusion():
    ax = plotting.plot_confusion(PREDICTIONS, TARGETS, 3)
    assert ax.images[0].get_array().tolist() == COUNTS
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]


POINTS = torch.tensor([[-1.0, 0.0], [1.0, 1.0], [-2.0, 1.0], [2.0, -1.0]])
LABELS = torch.tensor([0, 1, 0, 1])


def _regions(ax) -> list[np.ndarray]:
    (contours,) = [c for c in ax.collections if isinstance(c, ContourSet)]
    return [path.vertices for path in contours.get_paths()]


@pytest.mark.parametrize(
    "predict",
    [
        lambda g: (g[:, 0] > 0).long(),  # class ids
        lambda g: torch.stack([-g[:, 0], g[:, 0]], dim=1),  # scores: arg-max taken
    ],
)
def test_decision_boundary_regions_and_points(predict):
    ax = plotting.decision_boundary(predict, POINTS, LABELS, resolution=50, margin=0.5)
    regions = _regions(ax)
    assert len(regions[0]) and len(regions[1])
    assert not any(len(r) for r in regions[2:])
    assert regions[0][:, 0].max() <= 0.1 and regions[1][:, 0].min() >= -0.1
    (points,) = [c for c in ax.collections if not isinstance(c, ContourSet)]
    np.testing.assert_array_equal(points.get_offsets(), POINTS.numpy())
    assert points.get_array().tolist() == LABELS.tolist()
    assert ax.get_xlim() == pytest.approx((-2.5, 2.5)) and ax.get_ylim() == pytest.approx(
        (-1.5, 1.5)
    )


@pytest.mark.parametrize("shape", [(4, 3), (4,)])
def test_decision_boundary_rejects_non_2d_points(shape):
    with pytest.raises(ValueError, match="decision_boundary needs 2-D points"):
        plotting.decision_boundary(lambda g: g[:, 0], torch.zeros(shape), torch.zeros(4))


def test_image_grid_rejects_a_label_count_that_does_not_match():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        plotting.image_grid(torch.rand(3, 8, 8), labels=["a", "b"])

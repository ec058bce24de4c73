"""Plotting helpers: grid geometry and scaling; figures build under the Agg backend."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dl4cv.vis_utils import (  # noqa: E402
    plot_training_curves,
    show_class_templates,
    show_examples,
    visualize_grid,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("n, g", [(1, 1), (4, 2), (5, 3), (9, 3), (10, 4)])
def test_grid_shape(n, g):
    Xs = np.random.default_rng(n).standard_normal((n, 4, 3, 2))
    grid = visualize_grid(Xs, padding=2)
    assert grid.shape == (g * 6 - 2, g * 5 - 2, 2)


def test_each_cell_is_its_image_rescaled_and_padding_stays_zero():
    rng = np.random.default_rng(0)
    Xs = rng.uniform(-3, 7, size=(3, 4, 4, 1))
    Xs[2] = 5.0  # a constant image
    grid = visualize_grid(Xs, ubound=1.0, padding=1)
    assert grid.shape == (9, 9, 1)
    for i, (top, left) in enumerate([(0, 0), (0, 5)]):
        cell = grid[top:top + 4, left:left + 4]
        assert cell.min() == 0.0 and cell.max() == pytest.approx(1.0)
        # a linear rescale keeps the order of the pixels
        assert np.array_equal(np.argsort(cell.ravel()), np.argsort(Xs[i].ravel()))
    assert not grid[5:9, 0:4].any()  # the constant image
    assert not grid[4, :].any() and not grid[:, 4].any()  # padding
    assert not grid[5:, 5:].any()  # the unused cell


def test_grid_rejects_images_without_a_channel_axis():
    with pytest.raises(ValueError, match=r"\(N, H, W, C\).*X\[\.\.\., None\]"):
        visualize_grid(np.zeros((2, 4, 4)))


@pytest.mark.parametrize("extra", [0, 1])
def test_class_templates_draw_one_image_per_class(extra):
    W = np.random.default_rng(1).standard_normal((8 * 8 * 3 + extra, 4))
    fig = show_class_templates(W, ["a", "b", "c", "d"], image_shape=(8, 8, 3))
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c", "d"]
    assert all(ax.images[0].get_array().shape == (8, 8, 3) for ax in fig.axes)


def test_class_templates_explain_a_shape_mismatch():
    with pytest.raises(ValueError, match=r"\(192, 2\) or \(193, 2\)"):
        show_class_templates(np.zeros((100, 2)), ["a", "b"], image_shape=(8, 8, 3))


def test_training_curves_plot_the_histories():
    class History:
        loss_history = [3.0, 2.0, 1.5, 1.2]
        train_acc_history = [0.1, 0.5, 0.8]
        val_acc_history = [0.1, 0.4, 0.6]

    fig = plot_training_curves(History)
    ax_loss, ax_acc = fig.axes
    np.testing.assert_array_equal(ax_loss.lines[0].get_ydata(), History.loss_history)
    assert [line.get_label() for line in ax_acc.lines] == ["train", "val"]


def test_examples_grid_has_a_row_per_sample_and_a_column_per_class():
    rng = np.random.default_rng(2)
    X = rng.uniform(0, 255, size=(30, 5, 5, 3))
    y = np.repeat([0, 1, 2], 10)
    y[-8:] = 1  # class 2 keeps only 2 examples: its column has blanks
    fig = show_examples(X, y, ["cat", "dog", "ship"], samples_per_class=4, rng=0)
    assert len(fig.axes) == 12
    images_per_column = [sum(len(fig.axes[r * 3 + c].images) for r in range(4)) for c in range(3)]
    assert images_per_column == [4, 4, 2]

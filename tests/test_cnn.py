"""ThreeLayerConvNet: shapes, loss and gradients (float64, numerically), regularization,
plug-in layers, bad arguments, and that it can fit a handful of images."""
import numpy as np
import pytest

from dl4cv import conv_layer_utils
from dl4cv.classifiers.cnn import ThreeLayerConvNet
from dl4cv.solver import Solver
from model_gradients import assert_model_gradients

N, C, H, W = 3, 2, 6, 6


def _net(**kwargs):
    kwargs.setdefault("rng", 0)
    kwargs.setdefault("dtype", np.float64)
    return ThreeLayerConvNet(input_dim=(C, H, W), num_filters=3, filter_size=3, hidden_dim=5,
                             num_classes=4, weight_scale=0.3, **kwargs)


def _data(seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, C, H, W)), rng.integers(4, size=N)


def test_parameters_have_cs231n_names_and_shapes():
    net = ThreeLayerConvNet(rng=0)
    assert {k: v.shape for k, v in net.params.items()} == {
        "W1": (32, 3, 7, 7), "b1": (32,), "W2": (32 * 16 * 16, 100), "b2": (100,),
        "W3": (100, 10), "b3": (10,)}
    assert all(v.dtype == np.float32 for v in net.params.values())
    assert not any(net.params[b].any() for b in ("b1", "b2", "b3"))


def test_initial_loss_is_about_log_of_the_number_of_classes():
    net = ThreeLayerConvNet(input_dim=(3, 8, 8), num_filters=4, hidden_dim=10, rng=0)
    X = np.random.default_rng(0).standard_normal((20, 3, 8, 8))
    loss, _ = net.loss(X, np.arange(20) % 10)
    assert loss == pytest.approx(np.log(10), rel=0.01)


@pytest.mark.parametrize("reg", [0.0, 0.5])
def test_gradients_match_numerical_gradients(reg):
    net = _net(reg=reg)
    X, y = _data()
    assert_model_gradients(net, X, y, max_rel_error=1e-6, h=1e-6)


def test_regularization_adds_half_reg_times_sum_of_squared_weights():
    X, y = _data()
    loss0, grads0 = _net().loss(X, y)
    net = _net(reg=0.4)
    loss1, grads1 = net.loss(X, y)
    squares = sum(np.sum(net.params[w] ** 2) for w in ("W1", "W2", "W3"))
    assert loss1 - loss0 == pytest.approx(0.5 * 0.4 * squares)
    np.testing.assert_allclose(grads1["W1"] - grads0["W1"], 0.4 * net.params["W1"], atol=1e-10)
    np.testing.assert_allclose(grads1["b3"], grads0["b3"])


def test_plugged_in_layers_are_called_and_change_nothing_when_equal():
    calls = []

    def forward(*args):
        calls.append("forward")
        return conv_layer_utils.conv_relu_pool_forward(*args)

    X, y = _data()
    reference_loss, _ = _net().loss(X, y)
    loss, _ = _net(layers={"conv_relu_pool_forward": forward}).loss(X, y)
    assert calls == ["forward"] and loss == pytest.approx(reference_loss)


def test_bad_arguments_are_rejected_clearly():
    with pytest.raises(ValueError, match="odd filter_size"):
        ThreeLayerConvNet(filter_size=4)
    with pytest.raises(ValueError, match="even H, W"):
        ThreeLayerConvNet(input_dim=(3, 31, 32))
    with pytest.raises(TypeError, match="floating"):
        ThreeLayerConvNet(dtype=np.int64)


def test_overfits_a_few_images():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((20, 3, 16, 16)).astype(np.float32)
    y = np.arange(20) % 10
    data = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
    net = ThreeLayerConvNet(input_dim=(3, 16, 16), num_filters=8, filter_size=3, hidden_dim=50,
                            weight_scale=1e-1, rng=0)
    solver = Solver(net, data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                    num_epochs=25, batch_size=10, verbose=False, rng=0)
    solver.train()
    assert solver.train_acc_history[0] < 0.5 and solver.train_acc_history[-1] == 1.0

"""TwoLayerNet: initialisation, loss and gradients, regularization convention, plug-in layers."""
from types import SimpleNamespace

import numpy as np
import pytest

from dl4cv import layers
from dl4cv.classifiers.fc_net import TwoLayerNet
from dl4cv.gradient_check import rel_error
from model_gradients import assert_model_gradients

D, H, C, N = 6, 5, 3, 4


def _net(**kwargs):
    kwargs.setdefault("rng", 0)
    return TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=0.5, **kwargs)


def _data(seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, 2, 3)), rng.integers(C, size=N)


def test_parameters_have_cs231n_names_shapes_and_initialisation():
    net = TwoLayerNet(input_dim=200, hidden_dim=300, num_classes=4, weight_scale=1e-2, rng=0)
    assert {k: v.shape for k, v in net.params.items()} == {
        "W1": (200, 300), "b1": (300,), "W2": (300, 4), "b2": (4,)}
    assert not net.params["b1"].any() and not net.params["b2"].any()
    assert net.params["W1"].std() == pytest.approx(1e-2, rel=0.02)  # 60,000 samples
    assert abs(net.params["W1"].mean()) < 1e-3
    assert all(v.dtype == np.float64 for v in net.params.values())


def test_scores_at_test_time_are_affine_relu_affine():
    net = _net()
    X, _ = _data()
    p = net.params
    expected = np.maximum(X.reshape(N, -1) @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]
    scores = net.loss(X)
    assert scores.shape == (N, C)
    assert rel_error(scores, expected) < 1e-12


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_gradients_match_numerical_gradients(reg):
    net = _net(reg=reg)
    X, y = _data()
    assert_model_gradients(net, X, y, max_rel_error=1e-7)


def test_regularization_adds_half_reg_times_sum_of_squared_weights():
    X, y = _data()
    loss0, grads0 = _net(reg=0.0).loss(X, y)
    net = _net(reg=0.4)
    loss1, grads1 = net.loss(X, y)
    W1, W2 = net.params["W1"], net.params["W2"]
    assert loss1 - loss0 == pytest.approx(0.5 * 0.4 * (np.sum(W1**2) + np.sum(W2**2)))
    np.testing.assert_allclose(grads1["W1"] - grads0["W1"], 0.4 * W1, atol=1e-12)
    np.testing.assert_allclose(grads1["b1"], grads0["b1"])


def test_float32_stays_float32():
    net = _net(dtype=np.float32)
    X, y = _data()
    assert all(v.dtype == np.float32 for v in net.params.values())
    assert net.loss(X).dtype == np.float32
    _, grads = net.loss(X, y)
    assert all(g.dtype == np.float32 for g in grads.values())


def test_same_rng_same_weights():
    a, b, c = _net(rng=3), _net(rng=3), _net(rng=4)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["W1"], c.params["W1"])


def _recording(calls):
    """Every layer of the library, wrapped to record its name when called."""
    def wrap(name):
        def fn(*args):
            calls.append(name)
            return getattr(layers, name)(*args)
        return fn
    return {name: wrap(name) for name in TwoLayerNet.LAYER_NAMES}


def test_plugged_in_layers_are_the_ones_called():
    calls = []
    net = _net(layers=_recording(calls))
    X, y = _data()
    reference_loss, reference_grads = _net().loss(X, y)
    loss, grads = net.loss(X, y)
    assert sorted(calls) == sorted(
        ["affine_forward"] * 2 + ["relu_forward"] + ["softmax_loss"]
        + ["affine_backward"] * 2 + ["relu_backward"])
    assert loss == pytest.approx(reference_loss)
    assert all(rel_error(grads[k], reference_grads[k]) < 1e-12 for k in grads)


def test_plug_ins_may_be_an_object_and_may_be_partial():
    calls = []
    only_relu = SimpleNamespace(relu_forward=_recording(calls)["relu_forward"])
    net = _net(layers=only_relu)
    net.loss(_data()[0])
    assert calls == ["relu_forward"]


def test_a_plugged_in_layer_changes_the_result():
    def leaky_relu_forward(x):
        return np.where(x > 0, x, 0.1 * x), x
    X, _ = _data()
    assert not np.allclose(_net(layers={"relu_forward": leaky_relu_forward}).loss(X), _net().loss(X))


def test_misspelt_or_non_callable_plug_ins_are_rejected_clearly():
    with pytest.raises(KeyError, match="relu_foward.*relu_forward"):
        _net(layers={"relu_foward": layers.relu_forward})
    with pytest.raises(TypeError, match="'softmax_loss' must be a function"):
        _net(layers={"softmax_loss": 3})
    with pytest.raises(TypeError, match="floating"):
        _net(dtype=np.int32)

"""Update rules: the rule's formula, state handling, and progress on a quadratic."""
import numpy as np
import pytest

from dl4cv import optim

RULES = [optim.sgd, optim.sgd_momentum, optim.rmsprop, optim.adam]


def _quadratic(seed):
    """loss(w) = 0.5 * sum(a * w**2) with positive curvatures a; gradient a * w."""
    a = np.random.default_rng(seed).uniform(0.5, 2.0, size=(4, 3))
    return (lambda w: 0.5 * np.sum(a * w**2)), (lambda w: a * w)


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_lowers_a_quadratic_loss(rule):
    loss, grad = _quadratic(0)
    w = np.random.default_rng(1).standard_normal((4, 3))
    start = loss(w)
    config = {"learning_rate": 1e-2}
    for _ in range(200):
        w, config = rule(w, grad(w), config)
    assert loss(w) < 0.5 * start


@pytest.mark.parametrize("rule", RULES)
def test_rules_fill_defaults_but_keep_given_values(rule):
    w, dw = np.ones(3), np.ones(3)
    _, config = rule(w, dw)
    assert "learning_rate" in config
    _, config = rule(w, dw, {"learning_rate": 0.123})
    assert config["learning_rate"] == 0.123


def test_sgd_steps_against_the_gradient():
    rng = np.random.default_rng(2)
    w, dw = rng.standard_normal((2, 5))
    next_w, _ = optim.sgd(w, dw, {"learning_rate": 0.3})
    np.testing.assert_allclose(next_w, w - 0.3 * dw)


def test_momentum_accumulates_a_constant_gradient():
    w, g = np.zeros(3), np.array([1.0, -2.0, 0.5])
    lr, mu = 0.1, 0.9
    config = {"learning_rate": lr, "momentum": mu}
    w1, config = optim.sgd_momentum(w, g, config)
    w2, config = optim.sgd_momentum(w1, g, config)
    np.testing.assert_allclose(w1, -lr * g)
    np.testing.assert_allclose(w2 - w1, -lr * g * (1 + mu))  # the second step is longer
    np.testing.assert_allclose(config["velocity"], w2 - w1)


def test_momentum_zero_is_plain_sgd():
    rng = np.random.default_rng(3)
    w, dw = rng.standard_normal((2, 4))
    np.testing.assert_allclose(optim.sgd_momentum(w, dw, {"learning_rate": 0.2, "momentum": 0.0})[0],
                               optim.sgd(w, dw, {"learning_rate": 0.2})[0])


def test_rmsprop_steps_are_scale_free():
    # dividing by the running RMS makes the step independent of the gradient's scale
    rng = np.random.default_rng(4)
    w, dw = rng.standard_normal((2, 6))
    small, _ = optim.rmsprop(w, dw, {"learning_rate": 1e-2})
    large, _ = optim.rmsprop(w, 1e3 * dw, {"learning_rate": 1e-2})
    np.testing.assert_allclose(small - w, large - w, rtol=1e-5)


def test_first_adam_step_moves_each_entry_by_the_learning_rate():
    rng = np.random.default_rng(5)
    w = rng.standard_normal(8)
    dw = rng.choice([-1, 1], size=8) * rng.uniform(0.1, 10.0, size=8)
    next_w, config = optim.adam(w, dw, {"learning_rate": 0.01})
    # with bias correction m_hat = dw and v_hat = dw**2 at t = 1
    np.testing.assert_allclose(next_w - w, -0.01 * np.sign(dw), rtol=1e-6)
    assert config["t"] == 1


def test_adam_counts_steps_and_keeps_its_moments():
    w, dw = np.ones(2), np.array([0.5, -0.5])
    config = None
    for _ in range(3):
        w, config = optim.adam(w, dw, config)
    assert config["t"] == 3
    np.testing.assert_allclose(config["m"], (1 - 0.9**3) * dw)
    np.testing.assert_allclose(config["v"], (1 - 0.999**3) * dw**2)

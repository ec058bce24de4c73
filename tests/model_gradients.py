"""A shared test assertion: a model's analytic gradients equal numerical ones."""
from dl4cv.gradient_check import eval_numerical_gradient, rel_error


def assert_model_gradients(net, X, y, max_rel_error, h=1e-5):
    """Every gradient from ``net.loss(X, y)`` (one per key of ``net.params``) matches the
    centred-difference gradient of the loss within ``max_rel_error``."""
    _, grads = net.loss(X, y)
    assert set(grads) == set(net.params)
    for name, param in net.params.items():
        num = eval_numerical_gradient(lambda _: net.loss(X, y)[0], param, verbose=False, h=h)
        assert rel_error(grads[name], num) < max_rel_error, name

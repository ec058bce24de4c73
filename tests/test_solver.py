"""Solver: training, histories, lr decay, best parameters, checkpoints, reproducibility, errors."""
import numpy as np
import pytest

from dl4cv.classifiers.fc_net import TwoLayerNet
from dl4cv.solver import Solver, load_checkpoint

D, C = 20, 5


def _data(seed=0, n_train=100, n_val=40):
    rng = np.random.default_rng(seed)
    return {
        "X_train": rng.standard_normal((n_train, D)), "y_train": rng.integers(C, size=n_train),
        "X_val": rng.standard_normal((n_val, D)), "y_val": rng.integers(C, size=n_val),
    }


def _solver(data=None, model_seed=0, **kwargs):
    model = TwoLayerNet(input_dim=D, hidden_dim=50, num_classes=C, weight_scale=0.1, rng=model_seed)
    options = {"update_rule": "adam", "optim_config": {"learning_rate": 1e-2},
               "batch_size": 25, "num_epochs": 4, "verbose": False, "rng": 0}
    options.update(kwargs)
    return Solver(model, _data() if data is None else data, **options)


def test_overfits_a_tiny_random_dataset():
    solver = _solver(num_epochs=25)
    solver.train()
    assert solver.train_acc_history[-1] >= 0.9  # random labels: only memorisation gets there
    assert np.mean(solver.loss_history[-4:]) < 0.5 * np.mean(solver.loss_history[:4])


def test_histories_have_one_loss_per_step_and_one_accuracy_per_epoch_plus_one():
    solver = _solver(num_epochs=3, batch_size=30)  # 100 // 30 = 3 steps per epoch
    solver.train()
    assert len(solver.loss_history) == 9
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 4
    assert solver.epoch == 3


def test_learning_rate_decays_once_per_epoch_for_every_parameter():
    solver = _solver(update_rule="sgd", optim_config={"learning_rate": 0.1}, lr_decay=0.5, num_epochs=3)
    solver.train()
    assert set(solver.optim_configs) == set(solver.model.params)
    for cfg in solver.optim_configs.values():
        assert cfg["learning_rate"] == pytest.approx(0.1 * 0.5**3)


def test_each_parameter_has_its_own_optimiser_state():
    solver = _solver(num_epochs=1)
    solver.train()
    for name, cfg in solver.optim_configs.items():
        assert cfg["m"].shape == solver.model.params[name].shape


def test_the_best_epoch_is_restored_even_when_it_is_not_the_last():
    # validation = the training images with every label shifted by one: the better the net
    # memorises the training labels, the worse it does on validation, so the best
    # validation accuracy comes early and the final parameters are not the best ones
    data = _data()
    data["X_val"], data["y_val"] = data["X_train"], (data["y_train"] + 1) % C
    solver = _solver(data, num_epochs=8)
    solver.train()
    history = solver.val_acc_history
    assert history.index(max(history)) < len(history) - 1 and history[-1] < max(history)
    assert solver.check_accuracy(data["X_val"], data["y_val"]) == solver.best_val_acc == max(history)
    for name, value in solver.best_params.items():
        assert np.array_equal(solver.model.params[name], value)


def test_check_accuracy_counts_correct_predictions_in_any_batch_size():
    solver = _solver()
    data = _data()
    X, y = data["X_train"], data["y_train"]
    manual = np.mean(np.argmax(solver.model.loss(X), axis=1) == y)
    assert solver.check_accuracy(X, y) == pytest.approx(manual)
    assert solver.check_accuracy(X, y, batch_size=7) == pytest.approx(manual)
    sub = solver.check_accuracy(X, y, num_samples=10)
    assert sub * 10 == pytest.approx(round(sub * 10))  # a fraction of 10 examples


def test_checkpoints_are_written_every_epoch_and_load_without_pickle(tmp_path):
    solver = _solver(num_epochs=2, checkpoint_name=str(tmp_path / "runs" / "net"))
    solver.train()
    files = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert files == ["net_epoch_1.npz", "net_epoch_2.npz"]
    ckpt = load_checkpoint(tmp_path / "runs" / "net_epoch_2.npz")
    assert ckpt["epoch"] == 2 and ckpt["update_rule"] == "adam" and ckpt["batch_size"] == 25
    assert set(ckpt["params"]) == set(solver.model.params)
    assert all(ckpt["params"][k].shape == v.shape for k, v in solver.model.params.items())
    assert ckpt["optim_configs"]["W1"]["t"] == len(solver.loss_history)
    np.testing.assert_array_equal(ckpt["loss_history"], solver.loss_history)
    first = load_checkpoint(tmp_path / "runs" / "net_epoch_1.npz")
    assert len(first["loss_history"]) == len(solver.loss_history) // 2


def test_the_same_rng_gives_the_same_run():
    a, b, c = _solver(rng=5), _solver(rng=5), _solver(rng=6)
    for solver in (a, b, c):
        solver.train()
    assert a.loss_history == b.loss_history
    assert a.val_acc_history == b.val_acc_history
    assert a.loss_history != c.loss_history


def test_update_rule_may_be_a_function():
    steps = []

    def halving(w, dw, config=None):
        steps.append(w.shape)
        return w * 0.5, config

    solver = _solver(update_rule=halving, num_epochs=1)
    solver.train()
    assert len(steps) == len(solver.loss_history) * len(solver.model.params)
    with pytest.raises(KeyError, match="learning_rate"):  # nothing to decay
        _solver(update_rule=halving, optim_config={}, lr_decay=0.9, num_epochs=1).train()


def test_quiet_when_not_verbose(capsys):
    _solver(num_epochs=1).train()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_prints_progress_and_the_bar_hides_in_smoke_mode(capsys, monkeypatch):
    monkeypatch.delenv("DL4CV_SMOKE", raising=False)
    _solver(num_epochs=1, verbose=True, print_every=1).train()
    captured = capsys.readouterr()
    assert "(Iteration 1 / 4) loss" in captured.out and "(Epoch 1 / 1)" in captured.out
    assert "training" in captured.err  # the progress bar
    monkeypatch.setenv("DL4CV_SMOKE", "1")
    _solver(num_epochs=1, verbose=True).train()
    captured = capsys.readouterr()
    assert "(Epoch 1 / 1)" in captured.out and captured.err == ""


def test_bad_options_and_data_are_explained():
    with pytest.raises(TypeError, match=r"\['learning_rate'\].*valid options.*'lr_decay'"):
        _solver(learning_rate=1e-3)
    data = _data()
    del data["y_val"]
    with pytest.raises(KeyError, match=r"\['y_val'\]"):
        _solver(data=data)
    with pytest.raises(ValueError, match=r"'adamw'.*'adam'"):
        _solver(update_rule="adamw")
    with pytest.raises(TypeError, match="params"):
        Solver(object(), _data())

"""Solver: trains a classification model with minibatches and an update rule from ``dl4cv.optim``.

The model must provide:
- ``model.params``: dict from parameter name to array;
- ``model.loss(X, y=None)``: scores (N, C) when y is None, otherwise ``(loss, grads)`` with
  ``grads`` a dict with the keys of ``model.params``.

Example::

    solver = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95, num_epochs=10, batch_size=100, print_every=100,
                    rng=np.random.default_rng(0))
    solver.train()   # then model.params holds the parameters with the best validation accuracy

Checkpoints: with ``checkpoint_name="path/run"``, after every epoch e the solver writes
``path/run_epoch_{e}.npz`` with ``np.savez`` (plain arrays, no pickle). Keys are
``params/<name>`` (the model's parameters), ``optim_configs/<name>/<key>`` (numeric
optimiser state, so training can resume), ``update_rule``, ``epoch``, ``lr_decay``,
``batch_size``, ``num_train_samples``, ``loss_history``, ``train_acc_history``,
``val_acc_history``, ``best_val_acc``. ``load_checkpoint(path)`` reads one back as nested dicts.
"""
import inspect
import os
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from dl4cv import config, optim

_DEFAULTS = {
    "update_rule": "sgd",
    "optim_config": None,
    "lr_decay": 1.0,
    "batch_size": 100,
    "num_epochs": 10,
    "num_train_samples": 1000,
    "num_val_samples": None,
    "checkpoint_name": None,
    "print_every": 10,
    "verbose": True,
    "rng": None,
}
_DATA_KEYS = ("X_train", "y_train", "X_val", "y_val")


def _update_rules():
    """The public update rules of ``dl4cv.optim``, by name."""
    return {
        name: fn for name, fn in vars(optim).items()
        if inspect.isfunction(fn) and fn.__module__ == optim.__name__ and not name.startswith("_")
    }


class Solver:
    """Minibatch training with accuracy tracking, learning-rate decay and checkpoints.

    Options (keyword arguments):
    - update_rule: a name in ``dl4cv.optim`` ("sgd", "sgd_momentum", "rmsprop", "adam") or a
      function ``(w, dw, config) -> (next_w, config)``. Default "sgd".
    - optim_config: dict of hyperparameters for the update rule; each parameter gets its own
      copy, which the rule then fills with its state. Default {}.
    - lr_decay: the learning rate of every parameter is multiplied by this after each epoch.
    - batch_size: examples per step (sampled with replacement). Default 100.
    - num_epochs: number of epochs. Default 10.
    - num_train_samples: training examples used to estimate training accuracy. Default 1000.
    - num_val_samples: validation examples used to estimate validation accuracy; None: all.
    - checkpoint_name: if given, write a checkpoint after every epoch (see the module docs).
    - print_every: print the loss every this many iterations (when verbose).
    - verbose: print progress and show a progress bar (the bar also hides in smoke mode).
    - rng: ``np.random.Generator`` (or seed) for minibatches and accuracy subsamples.

    After ``train()``: ``loss_history`` (one per iteration), ``train_acc_history`` and
    ``val_acc_history`` (after the first step and after every epoch: num_epochs + 1 values),
    ``best_val_acc``,
    ``best_params``; the model holds ``best_params``.
    """

    def __init__(self, model, data, **kwargs):
        """
        Inputs:
        - model: an object with ``params`` and ``loss(X, y=None)`` (see the module docs).
        - data: dict with X_train: (N_train, d_1, ..., d_k), y_train: (N_train,),
          X_val: (N_val, d_1, ..., d_k), y_val: (N_val,).
        - kwargs: the options listed in the class docstring.
        """
        unknown = sorted(set(kwargs) - set(_DEFAULTS))
        if unknown:
            raise TypeError(f"Solver got unknown option(s) {unknown}; valid options are {sorted(_DEFAULTS)}")
        missing = [key for key in _DATA_KEYS if key not in data]
        if missing:
            raise KeyError(f"data lacks {missing}: Solver needs a dict with the keys {list(_DATA_KEYS)}")
        if not (isinstance(getattr(model, "params", None), dict) and callable(getattr(model, "loss", None))):
            raise TypeError("model must have a dict `params` and a method `loss(X, y=None)`")
        opts = {**_DEFAULTS, **kwargs}
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        self.update_rule = self._resolve_update_rule(opts["update_rule"])
        self.optim_config = dict(opts["optim_config"] or {})
        self.lr_decay = opts["lr_decay"]
        self.batch_size = opts["batch_size"]
        self.num_epochs = opts["num_epochs"]
        self.num_train_samples = opts["num_train_samples"]
        self.num_val_samples = opts["num_val_samples"]
        self.checkpoint_name = opts["checkpoint_name"]
        self.print_every = opts["print_every"]
        self.verbose = opts["verbose"]
        self.rng = np.random.default_rng(opts["rng"])
        self._reset()

    @staticmethod
    def _resolve_update_rule(rule):
        if callable(rule):
            return rule
        rules = _update_rules()
        if rule not in rules:
            raise ValueError(f"unknown update_rule {rule!r}: use one of {sorted(rules)} or a function")
        return rules[rule]

    def _reset(self):
        """Fresh book-keeping and one optimiser config per parameter."""
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.optim_configs = {name: dict(self.optim_config) for name in self.model.params}

    def _step(self):
        """One update on a random minibatch (sampled with replacement)."""
        idx = self.rng.integers(self.X_train.shape[0], size=self.batch_size)
        loss, grads = self.model.loss(self.X_train[idx], self.y_train[idx])
        self.loss_history.append(float(loss))
        missing = [name for name in self.model.params if name not in grads]
        if missing:
            raise KeyError(f"model.loss returned grads without {missing}: it needs one gradient per parameter")
        for name, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w
            self.optim_configs[name] = next_config

    def _decay_learning_rate(self):
        if self.lr_decay == 1.0:
            return
        for name, cfg in self.optim_configs.items():
            if "learning_rate" not in cfg:
                raise KeyError(
                    f"lr_decay needs a 'learning_rate' in the optim config of {name!r}, but the "
                    "update rule did not set one: add it to optim_config"
                )
            cfg["learning_rate"] *= self.lr_decay

    def checkpoint_path(self, epoch):
        """Where the checkpoint after ``epoch`` goes: ``{checkpoint_name}_epoch_{epoch}.npz``."""
        return Path(f"{self.checkpoint_name}_epoch_{epoch}.npz")

    def _save_checkpoint(self):
        arrays = {f"params/{name}": w for name, w in self.model.params.items()}
        for name, cfg in self.optim_configs.items():
            for key, value in cfg.items():
                if isinstance(value, (int, float, np.number, np.ndarray)):
                    arrays[f"optim_configs/{name}/{key}"] = value
        rule = self.update_rule
        arrays.update(
            update_rule=getattr(rule, "__name__", type(rule).__name__),
            epoch=self.epoch,
            lr_decay=self.lr_decay,
            batch_size=self.batch_size,
            num_train_samples=self.num_train_samples,
            loss_history=np.asarray(self.loss_history),
            train_acc_history=np.asarray(self.train_acc_history),
            val_acc_history=np.asarray(self.val_acc_history),
            best_val_acc=self.best_val_acc,
        )
        path = self.checkpoint_path(self.epoch)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with open(partial, "wb") as f:
            np.savez(f, **arrays)
        os.replace(partial, path)
        if self.verbose:
            tqdm.write(f"Saved checkpoint {path}")

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Fraction of examples the model classifies correctly.

        Inputs:
        - X: (N, d_1, ..., d_k) data; y: (N,) labels.
        - num_samples: if given and smaller than N, use a random subset of this many examples.
        - batch_size: examples per call of ``model.loss`` (bounds memory).

        Returns: accuracy, a float in [0, 1].
        """
        n = X.shape[0]
        if num_samples is not None and n > num_samples:
            idx = self.rng.choice(n, num_samples, replace=False)
            X, y, n = X[idx], y[idx], num_samples
        y_pred = [
            np.argmax(self.model.loss(X[start:start + batch_size]), axis=1)
            for start in range(0, n, batch_size)
        ]
        return float(np.mean(np.concatenate(y_pred) == y))

    def _record_accuracy(self):
        train_acc = self.check_accuracy(self.X_train, self.y_train, num_samples=self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if self.verbose:
            tqdm.write(f"(Epoch {self.epoch} / {self.num_epochs}) train acc: {train_acc:f}; val_acc: {val_acc:f}")
        if val_acc > self.best_val_acc or not self.best_params:
            self.best_val_acc = val_acc
            self.best_params = {name: np.copy(w) for name, w in self.model.params.items()}

    def train(self):
        """Run the optimisation, then put the best parameters (by validation accuracy) in the model."""
        iterations_per_epoch = max(self.X_train.shape[0] // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch
        bar = tqdm(total=num_iterations, desc="training", unit="it",
                   disable=not self.verbose or config.smoke())
        for t in range(num_iterations):
            self._step()
            bar.update(1)
            if self.verbose and t % self.print_every == 0:
                tqdm.write(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")
            if t == 0:
                self._record_accuracy()
            if (t + 1) % iterations_per_epoch == 0:
                self.epoch += 1
                self._decay_learning_rate()
                self._record_accuracy()
                if self.checkpoint_name is not None:
                    self._save_checkpoint()
        bar.close()
        self.model.params.update(self.best_params)


def load_checkpoint(path):
    """Read a checkpoint written by ``Solver`` into nested dicts.

    Returns a dict such as ``{"params": {"W1": array, ...}, "optim_configs": {"W1": {...}},
    "epoch": 3, "update_rule": "sgd", "loss_history": array, ...}``; 0-d arrays become
    Python scalars.
    """
    out = {}
    with np.load(path, allow_pickle=False) as archive:
        for key in archive.files:
            *parents, leaf = key.split("/")
            node = out
            for parent in parents:
                node = node.setdefault(parent, {})
            value = archive[key]
            node[leaf] = value.item() if value.ndim == 0 else value
    return out

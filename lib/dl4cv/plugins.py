"""Plug-ins: let a library model run the student's own layer functions.

A model names the functions it uses and their library defaults; the caller may override
any of them with a mapping (``{"relu_forward": relu_forward}``) or with any object that has
them as attributes (a module, a ``types.SimpleNamespace``). Functions not overridden stay
the library's. See DESIGN.md, "Where student code lives".
"""
from collections.abc import Mapping
from types import SimpleNamespace


def resolve_plugins(overrides, defaults, owner):
    """Merge ``overrides`` into ``defaults``.

    Inputs:
    - overrides: None, a mapping from name to function, or an object with such attributes.
      A mapping may only use names from ``defaults`` (so that a misspelt name is not
      silently ignored); an object contributes the attributes it has.
    - defaults: mapping from name to the library's function.
    - owner: the model's name, for error messages.

    Returns a ``SimpleNamespace`` with one function per name in ``defaults``.
    """
    if overrides is None:
        chosen = {}
    elif isinstance(overrides, Mapping):
        unknown = sorted(set(overrides) - set(defaults))
        if unknown:
            raise KeyError(
                f"{owner} cannot plug in {unknown}: it uses only {sorted(defaults)}"
            )
        chosen = dict(overrides)
    else:
        chosen = {name: getattr(overrides, name) for name in defaults if hasattr(overrides, name)}
    for name, fn in chosen.items():
        if not callable(fn):
            raise TypeError(f"{owner}: the plug-in {name!r} must be a function, got {fn!r}")
    return SimpleNamespace(**{**defaults, **chosen})

"""Running untrusted notebook code: isolation, limits and process lifecycle.

See ``docs/sandbox.md``. The pieces: ``limits.Limits`` (what a sandbox may use),
``plan`` (what it can see), ``launch`` (the standalone set-up program), ``process.Sandbox``
(one running sandbox), ``errors`` (what checks see go wrong), ``policy.static_uses``.
"""
from .errors import (BadReturn, CallTimeout, ForbiddenCall, NotDefined, SandboxDied, StudentCodeError,
                     StudentRaised)
from .limits import Limits
from .process import Sandbox, SandboxSetupError

__all__ = ["BadReturn", "CallTimeout", "ForbiddenCall", "Limits", "NotDefined", "Sandbox", "SandboxDied",
           "SandboxSetupError", "StudentCodeError", "StudentRaised"]

"""Optional parts of drctl, installed by extras and imported only inside the commands using them.

    with sandbox_extra():
        from drctl_sandbox.demo import run_demo

`drctl_sandbox` ships with drctl, but moto comes only with the `sandbox` extra: without it
a sandbox command says in one line how to install it (exit 2) instead of a traceback.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager

from drctl.errors import ConfigError

# The sandbox and what only it needs; a missing module of any other name is a bug, not an extra.
SANDBOX_PACKAGES = ("drctl_sandbox", "moto")
SANDBOX_MISSING = "the offline sandbox is not installed: pip install 'drctl[sandbox]'"


@contextmanager
def sandbox_extra() -> Iterator[None]:
    """Fail with one line on how to install the `sandbox` extra when it is missing."""
    # find_spec looks moto up without importing it (importing takes a second or more).
    if any(importlib.util.find_spec(name) is None for name in SANDBOX_PACKAGES):
        raise ConfigError(SANDBOX_MISSING)
    try:
        yield
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in SANDBOX_PACKAGES:
            raise
        raise ConfigError(SANDBOX_MISSING) from exc

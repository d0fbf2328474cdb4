"""`Injector`: what causes the failure a measured run recovers from (demo, lab, AWS FIS).

The injector's own record of when the failure began is the best failure instant there is:
it outranks `--failure-at` and the first failed probe sample (see `MeasuredRun`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from drctl.model import Frozen


class Injection(Frozen):
    """A failure that was injected: when it began, what it is, and references (e.g. an experiment id)."""

    at: datetime
    detail: str
    reference: dict[str, str] = {}


class Injector(Protocol):
    """Causes a failure on `inject()`; `stop()` ends it early when the run fails or is cancelled."""

    def inject(self) -> Injection:
        """Cause the failure and say when it began."""
        ...

    def stop(self, reason: str) -> dict[str, str]:
        """End an injection that is still going on (a no-op for one-shot faults); returns its state."""
        ...

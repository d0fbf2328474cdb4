"""Hooks called after the sandbox has carried out an AWS call and before its answer is sent.

For crash tests: a listener that SIGKILLs drctl when, say, `FailoverGlobalCluster` has been
served proves that a run killed between AWS acting and drctl hearing about it resumes
without a second write. Listeners get the action name, the region and the HTTP status.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core.responses import BaseResponse

ServedListener = Callable[[str, str, int], None]

_listeners: list[ServedListener] = []
_lock = threading.Lock()
_installed = False


def on_served(listener: ServedListener) -> Callable[[], None]:
    """Call `listener(action, region, status)` after each call; returns an unsubscribe function."""
    install()
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def install() -> None:
    """Wrap moto's `call_action` (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    original = BaseResponse.call_action

    def call_action(self: BaseResponse) -> Any:
        answer = original(self)
        with _lock:
            listeners = list(_listeners)
        if listeners:
            action, region = self._get_action() or "", getattr(self, "region", "")
            status = int(answer[0]) if isinstance(answer, tuple) and answer else 200
            for listener in listeners:
                listener(action, region, status)
        return answer

    BaseResponse.call_action = call_action  # type: ignore[method-assign]

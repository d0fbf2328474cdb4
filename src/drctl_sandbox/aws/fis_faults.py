"""AWS FIS experiments that the sandbox turns into its own faults.

moto stores FIS experiment templates and experiments but injects nothing. When the
sandbox serves, `StartExperiment` of a template with a supported action fails the
experiment's region as that action would, and `StopExperiment` heals it:

- `aws:network:disrupt-connectivity` (the AZ/region power-interruption scenarios use it):
  the region's subnets lose connectivity, so its app stops answering and replication out
  of it stops; AWS's own control-plane APIs keep answering (`fail_region` without the
  API outage). Source: [FIS actions reference](https://docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html#network-actions-reference).

Other actions are stored and reported as moto does, with no effect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from moto.fis.responses import FISResponse

if TYPE_CHECKING:
    from drctl_sandbox.runtime import Sandbox

SUPPORTED = frozenset({"aws:network:disrupt-connectivity"})
_sandbox: Sandbox | None = None
_failed: dict[str, str] = {}  # experiment id -> region it failed
_installed = False


def attach(sandbox: Sandbox | None) -> None:
    """The sandbox FIS experiments act on (None: experiments do nothing)."""
    global _sandbox
    _sandbox = sandbox
    _failed.clear()


def install() -> None:
    """Wrap moto's StartExperiment/StopExperiment (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    setattr(FISResponse, "start_experiment", _after(FISResponse.start_experiment, _started))  # noqa: B010
    setattr(FISResponse, "stop_experiment", _after(FISResponse.stop_experiment, _stopped))  # noqa: B010


def _after(
    original: Callable[[FISResponse], str], effect: Callable[[str, dict[str, Any]], None]
) -> Any:
    def wrapper(self: FISResponse) -> str:
        body = original(self)
        if _sandbox is not None:
            effect(self.region, json.loads(body)["experiment"])
        return body

    return wrapper


def _started(region: str, experiment: dict[str, Any]) -> None:
    actions = {a.get("actionId") for a in experiment.get("actions", {}).values()}
    if actions & SUPPORTED and _sandbox is not None and experiment["id"] not in _failed:
        _sandbox.fail_region(region)
        _failed[experiment["id"]] = region


def _stopped(region: str, experiment: dict[str, Any]) -> None:
    failed = _failed.pop(experiment["id"], None)
    if failed is not None and _sandbox is not None:
        _sandbox.recover_region(failed)

"""`RunCalls`: the AWS calls a run makes outside its steps (the FIS injector), journaled with it.

They go in `drctl_aws_calls` under a pseudo step id (`measure:inject`), so `drctl runs show
RUN --calls` and the IAM test see them beside the steps' calls. `attempt` is the measuring
session (a resumed run's injector stops its experiment in a later session), so a later
session's calls never collide with an earlier one's. Writes are not journaled as intents:
no step resumes them, and `StartExperiment` carries the run id as its client token.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from drctl.runbook.run import AwsCall, WriteIntent

if TYPE_CHECKING:
    from drctl.engine.engine import Engine

INJECT = "measure:inject"
"""The pseudo step id of the injector's calls."""


class RunCalls:
    """A `WriteJournal` and `CallLog` for `intents.recording`: stores each call at once."""

    def __init__(self, engine: Engine, run_id: str, step_id: str, attempt: int = 1) -> None:
        self.engine, self.run_id, self.step_id, self.attempt = engine, run_id, step_id, attempt
        self._lock = threading.Lock()
        self._seq = 0

    def intend(
        self, service: str, operation: str, region: str, resource: str, client_token: str
    ) -> WriteIntent:
        """The intent as a step's would be, not stored (see the module docstring)."""
        return WriteIntent(step_id=self.step_id, attempt=self.attempt, seq=0, service=service,
                           operation=operation, region=region, resource=resource,
                           client_token=client_token, time=self.engine.clock.now())  # fmt: skip

    def answered(self, intent: WriteIntent) -> None:
        """Nothing to do: the answer is stored with the call (`called`)."""

    def called(
        self,
        service: str,
        operation: str,
        region: str,
        resource: str,
        *,
        request_id: str,
        http_status: int | None,
        error_code: str,
    ) -> None:
        """Store one answered call (a handful per run: no batching)."""
        with self._lock:
            self._seq += 1
            seq = self._seq
        call = AwsCall(step_id=self.step_id, attempt=self.attempt, seq=seq, service=service,
                       operation=operation, region=region, resource=resource,
                       time=self.engine.clock.now(), request_id=request_id,
                       http_status=http_status, error_code=error_code)  # fmt: skip
        self.engine.journal.add_calls(self.run_id, [call])

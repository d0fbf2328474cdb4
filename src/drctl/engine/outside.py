"""`RunCalls`: the AWS calls a run makes outside its steps, journaled with it under pseudo step ids.

They go in `drctl_aws_calls` beside the steps' calls, so `drctl runs show RUN --calls` and
the IAM test see them: the FIS injector's (`measure:inject`), the data canary's
(`measure:canary`) and the CloudTrail lookups of the run's evidence (`report:cloudtrail`).
`attempt` is the measuring session (a resumed run's injector stops its experiment in a later
session; a resumed run's canary writes again), or for the evidence the next unused number, so
calls of a later session or report never collide with an earlier one's. Writes are not
journaled as intents: no step resumes them (`StartExperiment` carries the run id as its
client token; a canary row is written once per sequence number).

The canary calls AWS every interval (200 ms by default) for the whole run. Each call is kept,
with its own request id, rather than a count per distinct call: the run already journals one
row per canary write (its ack), so a row per call changes the volume by a constant factor,
and CloudTrail or support cases need the request ids. What differs is the transaction rate:
`flush_every` buffers the calls and stores them in one transaction every few seconds and at
`flush()` (the session's end), instead of one per call.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from drctl.clock import SystemClock
from drctl.providers import intents
from drctl.runbook.run import AwsCall, WriteIntent

if TYPE_CHECKING:
    from drctl.clock import Clock
    from drctl.engine.journal import Journal

INJECT = "measure:inject"
"""The pseudo step id of the injector's calls."""
CANARY = "measure:canary"
"""The pseudo step id of the data canaries' calls (writes, and the read-back after the run)."""
CLOUDTRAIL = "report:cloudtrail"
"""The pseudo step id of the CloudTrail lookups of a run's evidence (`drctl run`, `report`)."""
CANARY_FLUSH_SECONDS = 5.0
"""How long the canary's calls wait in memory before one transaction stores them."""


class RunCalls:
    """A `WriteJournal` and `CallLog` for `intents.recording`: stores each call, or buffers them.

    With `flush_every` (seconds) calls are stored in batches: when a call comes that long after
    the last store, and at `flush()`. Thread-safe: several probe threads may share one.
    """

    def __init__(
        self,
        journal: Journal,
        clock: Clock,
        run_id: str,
        step_id: str,
        attempt: int = 1,
        *,
        flush_every: float | None = None,
    ) -> None:
        self.journal, self.clock = journal, clock
        self.run_id, self.step_id, self.attempt = run_id, step_id, attempt
        self.flush_every = flush_every
        self._lock = threading.Lock()
        self._seq = 0
        self._pending: list[AwsCall] = []
        self._stored_at = clock.monotonic()

    def intend(
        self, service: str, operation: str, region: str, resource: str, client_token: str
    ) -> WriteIntent:
        """The intent as a step's would be, not stored (see the module docstring)."""
        return WriteIntent(step_id=self.step_id, attempt=self.attempt, seq=0, service=service,
                           operation=operation, region=region, resource=resource,
                           client_token=client_token, time=self.clock.now())  # fmt: skip

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
        """Store one answered call, or buffer it until the next flush."""
        with self._lock:
            self._seq += 1
            call = AwsCall(step_id=self.step_id, attempt=self.attempt, seq=self._seq,
                           service=service, operation=operation, region=region,
                           resource=resource, time=self.clock.now(), request_id=request_id,
                           http_status=http_status, error_code=error_code)  # fmt: skip
            self._pending.append(call)
            due = self.flush_every is None or (
                self.clock.monotonic() - self._stored_at >= self.flush_every
            )
        if due:
            self.flush()

    def flush(self) -> None:
        """Store the buffered calls in one transaction."""
        with self._lock:
            batch, self._pending = self._pending, []
            self._stored_at = self.clock.monotonic()
        self.journal.add_calls(self.run_id, batch)


@contextmanager
def journaled_calls(database_url: str, run_id: str, step_id: str) -> Iterator[None]:
    """Journal the AWS calls made in the block with run `run_id`, under `step_id` and the next
    unused attempt number, stored in one transaction when the block ends (even by an error)."""
    from drctl.engine.journal import Journal  # imported late: the journal imports audit

    journal = Journal(database_url)
    try:
        attempt = journal.last_call_attempt(run_id, step_id) + 1
        calls = RunCalls(journal, SystemClock(), run_id, step_id, attempt, flush_every=math.inf)
        try:
            with intents.recording(calls):
                yield
        finally:
            calls.flush()
    finally:
        journal.close()

"""Write intents: before a step calls an AWS write API its intent is journaled, after it the call.

The engine sets a `WriteJournal` for the thread that runs a step's `apply()`/`verify()`
(`recording`); `AwsClients` hooks botocore's `before-call`/`after-call` events, so every
write any AWS action makes is recorded without the action saying so. After a crash the
journal shows which writes this run issued, even when the step's own end was lost.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "CallLog",
    "WriteIntent",
    "WriteJournal",
    "current",
    "hook",
    "is_write",
    "recording",
]

from drctl.runbook.run import WriteIntent

_READ_PREFIXES = ("Describe", "List", "Get", "Lookup", "Head", "Search", "Query", "Scan")
_RESOURCE_SUFFIXES = ("Identifier", "Id", "Name", "Arn", "Bucket")
_TOKEN_KEYS = ("ClientToken", "ClientRequestToken", "CallerReference", "IdempotencyToken")


class WriteJournal(Protocol):
    """Where a step's write intents go (the engine journals them, stamped with step and attempt)."""

    def intend(
        self, service: str, operation: str, region: str, resource: str, client_token: str
    ) -> WriteIntent:
        """Record the intent before the call is sent; returns it as recorded."""
        ...

    def answered(self, intent: WriteIntent) -> None:
        """Record AWS's answer (request id, status) to an intended call."""
        ...


@runtime_checkable
class CallLog(Protocol):
    """A journal that also records every call (reads too), answered, with AWS's answer."""

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
        """Record one answered call (identifiers only, never parameter values)."""
        ...


_current: contextvars.ContextVar[WriteJournal | None] = contextvars.ContextVar(
    "drctl_write_journal", default=None
)


@contextmanager
def recording(journal: WriteJournal | None) -> Iterator[None]:
    """Journal the AWS writes made in this context (the engine wraps each attempt's work).

    With None nothing changes: the context's journal, if any, stays.
    """
    if journal is None:
        yield
        return
    token = _current.set(journal)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> WriteJournal | None:
    """The write journal of the step running in this context, if any."""
    return _current.get()


def is_write(service: str, operation: str) -> bool:
    """Whether an API call changes the world (by AWS's naming of read operations)."""
    return service != "sts" and not operation.startswith(_READ_PREFIXES)


def resource_of(params: Mapping[str, Any]) -> str:
    """The identifiers among a call's parameters (`Key=value, ...`), never other values."""
    named = [
        f"{k}={v}"
        for k, v in params.items()
        if isinstance(v, str)
        # EKS names its cluster `name`, FIS its experiment `id`
        and (k.endswith(_RESOURCE_SUFFIXES) or k in ("name", "id"))
        and k not in _TOKEN_KEYS
    ]
    # DynamoDB's batch calls name their tables as the keys of `RequestItems`
    items = params.get("RequestItems")
    named += (
        [f"TableName={t}" for t in items if isinstance(t, str)] if isinstance(items, dict) else []
    )
    return ", ".join(named)


def token_of(params: Mapping[str, Any]) -> str:
    """The client (idempotency) token the call carries, where the API has one."""
    return next((str(params[k]) for k in _TOKEN_KEYS if isinstance(params.get(k), str)), "")


class _Pending:
    """A journaled intent awaiting its answer, carried in botocore's request context.

    botocore deep-copies the request dict for some calls (EC2 `CopySnapshot` presigns a
    copy for the source region); the journal holds a database engine and cannot be copied,
    and the copy must still answer to the same journal, so a copy is this same object.
    """

    def __init__(self, journal: WriteJournal, intent: WriteIntent) -> None:
        self.journal = journal
        self.intent = intent

    def __deepcopy__(self, memo: dict[int, Any]) -> _Pending:
        return self


def hook(client: Any, region: str) -> None:
    """Journal the writes `client` makes while a step records (botocore's request events)."""

    def before(params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        journal = current()
        service = model.service_model.service_name
        if journal is None:
            return
        # plain strings: botocore may deep-copy the context (CopySnapshot presigning)
        context["drctl_call"] = (service, model.name, resource_of(params))
        if not is_write(service, model.name):
            return
        context["drctl_intent"] = _Pending(
            journal,
            journal.intend(service, model.name, region, resource_of(params), token_of(params)),
        )

    def after(context: dict[str, Any], **kwargs: Any) -> None:
        parsed = kwargs.get("parsed") or {}
        meta = parsed.get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
        error = parsed.get("Error", {}) if isinstance(parsed, dict) else {}
        log = current()
        call = context.get("drctl_call")
        if isinstance(log, CallLog) and isinstance(call, tuple):
            service, operation, resource = call
            status = meta.get("HTTPStatusCode")
            log.called(
                service,
                operation,
                region,
                resource,
                request_id=str(meta.get("RequestId", "")),
                http_status=status if isinstance(status, int) else None,
                error_code=str(error.get("Code", "")),
            )
        pending = context.get("drctl_intent")
        if not isinstance(pending, _Pending):
            return
        journal, intent = pending.journal, pending.intent
        journal.answered(
            intent.model_copy(
                update={
                    "answered": True,
                    "request_id": str(meta.get("RequestId", "")),
                    "http_status": meta.get("HTTPStatusCode"),
                    "error_code": str(error.get("Code", "")),
                }
            )
        )

    client.meta.events.register("before-parameter-build", before)
    client.meta.events.register("after-call", after)

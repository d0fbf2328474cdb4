"""The run journal: runs, steps, approvals and measurements in the state database.

Tables live beside DBOS's own (same SQLite file or PostgreSQL database). Each step is
written when it starts and again when it ends, so an interrupted run never loses track
of where it stood; `Run` models are assembled from these rows for every reader.

This is the journal boundary for secrets: step outputs, errors, details and approval
comments are redacted here, once, on their way in (reports and later steps read them).
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import event

from drctl.audit.redact import Redactor
from drctl.errors import DrctlError
from drctl.identity import Identity
from drctl.runbook.run import (
    FINISHED_RUN,
    FINISHED_STEP,
    ActorRecord,
    ApprovalRecord,
    AwsCall,
    Interruption,
    Measurement,
    Provenance,
    Run,
    StepError,
    StepRun,
    WriteIntent,
)
from drctl.sqlite_writers import serialize_writes
from drctl.transient import RETRY_SECONDS, create_tables, retry_transient

P = ParamSpec("P")
R = TypeVar("R")

_meta = sa.MetaData()
runs = sa.Table(
    "drctl_runs",
    _meta,
    sa.Column("id", sa.String(120), primary_key=True),
    sa.Column("runbook", sa.Text, nullable=False),
    sa.Column("scenario", sa.Text, nullable=False),
    sa.Column("plan", sa.Text),
    sa.Column("plan_hash", sa.String(64)),
    sa.Column("runbook_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("executor", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("runbook_yaml", sa.Text, nullable=False),
)
steps = sa.Table(
    "drctl_steps",
    _meta,
    sa.Column("run_id", sa.String(120), primary_key=True),
    sa.Column("step_id", sa.String(120), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
    sa.Column("output", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("changed", sa.Boolean),
    sa.Column("detail", sa.Text, nullable=False),
)
approvals = sa.Table(
    "drctl_approvals",
    _meta,
    sa.Column("run_id", sa.String(120), primary_key=True),
    sa.Column("step_id", sa.String(120), primary_key=True),
    sa.Column("actor", sa.String(200), primary_key=True),
    sa.Column("decision", sa.String(10), nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
)
records = sa.Table(
    "drctl_run_records",
    _meta,
    sa.Column("run_id", sa.String(120), primary_key=True),
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
)
"""Evidence added after the first schema (no migrations): who acted, verified; the run's
provenance; the write intents of steps. `kind` says what `body` (JSON) holds."""
measurements = sa.Table(
    "drctl_measurements",
    _meta,
    sa.Column("run_id", sa.String(120), primary_key=True),
    sa.Column("name", sa.String(120), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)

aws_calls = sa.Table(
    "drctl_aws_calls",
    _meta,
    sa.Column("run_id", sa.String(120), primary_key=True),
    sa.Column("step_id", sa.String(120), primary_key=True),
    sa.Column("attempt", sa.Integer, primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("service", sa.String(80), nullable=False),
    sa.Column("operation", sa.String(120), nullable=False),
    sa.Column("region", sa.String(40), nullable=False),
    sa.Column("resource", sa.Text, nullable=False),
    sa.Column("request_id", sa.String(120), nullable=False),
    sa.Column("http_status", sa.Integer),
    sa.Column("error_code", sa.String(120), nullable=False),
    sa.Column("time", sa.DateTime(timezone=True)),
)
"""Every AWS call (reads too) a step made; written in batches, once per attempt (see `StepWrites`)."""
owners = sa.Table(
    "drctl_run_owners",
    _meta,
    sa.Column("run_id", sa.String(120), primary_key=True),
    sa.Column("token", sa.String(64), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
)
"""The execution of each run's workflow that may write its steps: the fence (`Journal.claim`)."""


# Statements built once: SQLAlchemy then finds their compiled form by identity, without
# building, coercing and hashing a new statement per call (most of a write's CPU).
_STEP_KEY = (
    steps.c.run_id == sa.bindparam("run_id_"),
    steps.c.step_id == sa.bindparam("step_id_"),
)
_STEP = sa.select(steps).where(*_STEP_KEY)
_RUN_STATUS = sa.select(runs.c.status).where(runs.c.id == sa.bindparam("id_"))
_RUN_STARTED = sa.select(runs.c.started_at).where(runs.c.id == sa.bindparam("id_"))
_STARTED = {
    "status": "running",
    "attempts": sa.case((steps.c.attempts < 1, 1), else_=steps.c.attempts),
    "started_at": sa.func.coalesce(
        steps.c.started_at, sa.bindparam("now_", type_=steps.c.started_at.type)
    ),
}
_START_PENDING = (
    sa.update(steps)
    .where(*_STEP_KEY, steps.c.status == "pending")
    .values(_STARTED)
    .returning(*steps.c)
)
"""A pending step starts in one statement; any other goes the long way (`Journal.start_step`)."""
_OWNED = sa.exists().where(
    owners.c.run_id == sa.bindparam("run_id_"), owners.c.token == sa.bindparam("owner_")
)
"""The fence: a step row changes only while the writer's execution still owns the run."""
_START_PENDING_OWNED = _START_PENDING.where(_OWNED)
_START_MANY_OWNED = (
    sa.update(steps)
    .where(
        steps.c.run_id == sa.bindparam("run_id_"),
        steps.c.step_id.in_(sa.bindparam("step_ids_", expanding=True)),
        steps.c.status == "pending",
        _OWNED,
    )
    .values(_STARTED)
    .returning(*steps.c)
)
"""`_START_PENDING_OWNED` for many steps of a run at once (`Journal.start_steps`)."""
_START_BATCH = 500
"""Steps started by one statement at most (SQLite's bound-parameter limit is far above)."""
_OWNER = sa.select(owners.c.token).where(owners.c.run_id == sa.bindparam("run_id_"))


HARVEST = "harvest"
"""The `drctl_run_records` kind of the workflow's harvest checkpoints (`put_harvest`)."""


class RunTakenOver(DrctlError):
    """Another execution of the run's workflow claimed it (recovered or resumed elsewhere).

    The execution that gets this stops driving the run (`RunInterrupted`) without writing its
    step: the new owner finds the step as this one left it and goes on from there.
    """


def _key(run_id: str, step_id: str) -> dict[str, str]:
    return {"run_id_": run_id, "step_id_": step_id}


@functools.cache
def _update_step(columns: frozenset[str], owned: bool = False) -> sa.Update:
    """`UPDATE drctl_steps SET <columns> WHERE` the step (and, `owned`, the fence holds), built once."""
    statement = (
        sa.update(steps)
        .where(*_STEP_KEY)
        .values({c: sa.bindparam(f"v_{c}", type_=steps.c[c].type) for c in sorted(columns)})
    )
    return statement.where(_OWNED) if owned else statement


def _check_owner(conn: sa.Connection, run_id: str, owner: str) -> None:
    """Raise `RunTakenOver` unless `owner` is the execution that owns the run."""
    current = conn.execute(_OWNER, {"run_id_": run_id}).scalar()
    if current != owner:
        raise RunTakenOver(
            f"run `{run_id}` was taken over by another execution of its workflow "
            "(recovered or resumed elsewhere); this one stops without writing its step",
            hint="nothing to do here: the run goes on where it was taken over "
            "(`drctl runs show RUN`)",
        )


def _insert_record(
    conn: sa.Connection, run_id: str, key: str, kind: str, body: str, time: datetime
) -> bool:
    """Insert one `drctl_run_records` row unless `key` is there; whether it was inserted."""
    where = (records.c.run_id == run_id, records.c.key == key)
    if conn.execute(sa.select(records.c.key).where(*where)).first():
        return False
    conn.execute(sa.insert(records).values(run_id=run_id, key=key, kind=kind, body=body, time=time))
    return True


def _retried(method: Callable[P, R]) -> Callable[P, R]:
    """Run a journal method again after a transient database fault (see `drctl.transient`)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        journal = args[0]
        assert isinstance(journal, Journal)
        return retry_transient(lambda: method(*args, **kwargs), budget=journal.retry_seconds)

    return wrapper


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every journal time is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class Journal:
    """Reads and writes the journal tables over one SQLAlchemy engine."""

    def __init__(
        self, url: str, *, redactor: Redactor | None = None, retry_seconds: float = RETRY_SECONDS
    ) -> None:
        self.url = url
        self.redactor = redactor or Redactor()
        self.retry_seconds = retry_seconds
        self.engine = _engine(url)
        retry_transient(lambda: create_tables(_meta, self.engine), budget=retry_seconds)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    def create_run(self, run: Run, positions: list[str]) -> None:
        """Insert a run and one pending row per step, in runbook order.

        Retried after a transient fault; a retry finding the run means the first attempt's
        commit landed although its acknowledgement was lost, so nothing is inserted twice.
        """
        row = run.model_dump(
            exclude={
                "steps",
                "approvals",
                "measurements",
                "actors",
                "provenance",
                "intents",
                "interruptions",
            }
        )
        tries = 0

        def insert() -> None:
            nonlocal tries
            tries += 1
            with self.engine.begin() as conn:
                if (
                    tries > 1
                    and conn.execute(sa.select(runs.c.id).where(runs.c.id == run.id)).first()
                ):
                    return
                conn.execute(sa.insert(runs).values(**row))
                conn.execute(
                    sa.insert(steps),
                    [_step_row(run.id, StepRun(id=s), i) for i, s in enumerate(positions)],
                )

        retry_transient(insert, budget=self.retry_seconds)

    @_retried
    def update_run(self, run_id: str, **values: Any) -> None:
        """Set columns of a run."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(runs).where(runs.c.id == run_id).values(**values))

    def update_step(
        self, run_id: str, step_id: str, *, owner: str | None = None, **values: Any
    ) -> None:
        """Set columns of a step row; `output`, `error` and `detail` are redacted on the way in.

        With `owner` (the workflow execution's claim) the row is written only while that
        execution still owns the run, else `RunTakenOver`.
        """
        self._write_step(run_id, step_id, self._redacted(values), owner)

    def end_step(self, run_id: str, result: StepRun, owner: str | None = None) -> StepRun:
        """Store a step's final entry and return it as stored, redacted (what later steps see)."""
        stored = self._stored(result)
        self._write_step(run_id, result.id, _end_of(stored), owner)
        return stored

    @_retried
    def end_steps(self, run_id: str, results: Sequence[StepRun], owner: str) -> list[StepRun]:
        """`end_step` for several steps of a run in one transaction, under `owner`'s claim."""
        stored = [self._stored(result) for result in results]
        ends = [_end_of(entry) for entry in stored]
        rows = [
            {**_step_params(run_id, entry.id, end), "owner_": owner}
            for entry, end in zip(stored, ends, strict=True)
        ]
        with self.engine.begin() as conn:
            written = conn.execute(_update_step(frozenset(ends[0]), True), rows)
            if len(rows) > 1 or written.rowcount == 0:  # (a batch's rowcount is not portable)
                _check_owner(conn, run_id, owner)  # rolls every row back if another owns the run
        return stored

    def _stored(self, result: StepRun) -> StepRun:
        return result.model_copy(
            update=self._redacted(
                {"output": result.output, "error": result.error, "detail": result.detail}
            )
        )

    def fail_step(
        self, run_id: str, step_id: str, error: StepError, now: datetime, owner: str | None = None
    ) -> StepRun:
        """Fail a step for a reason outside its action (its output stays); returns the stored entry."""
        self.update_step(
            run_id,
            step_id,
            owner=owner,
            status="failed",
            error=error,
            detail=error.message,
            ended_at=now,
        )
        stored = self.step(run_id, step_id)
        if stored is None:
            raise KeyError(step_id)
        return stored

    def _redacted(self, values: dict[str, Any]) -> dict[str, Any]:
        clean = dict(values)
        text = self.redactor.redact_text
        if isinstance(clean.get("output"), dict):
            clean["output"] = self.redactor.redact_payload(clean["output"])
        if isinstance(error := clean.get("error"), StepError):
            clean["error"] = error.model_copy(
                update={
                    "message": text(error.message),
                    "hint": text(error.hint),
                    "where": text(error.where),
                }
            )
        if isinstance(clean.get("detail"), str):
            clean["detail"] = text(clean["detail"])
        return clean

    @_retried
    def _write_step(
        self, run_id: str, step_id: str, values: dict[str, Any], owner: str | None = None
    ) -> None:
        params = _step_params(run_id, step_id, values)
        with self.engine.begin() as conn:
            if owner is None:
                conn.execute(_update_step(frozenset(values)), params)
                return
            written = conn.execute(
                _update_step(frozenset(values), True), {**params, "owner_": owner}
            )
            if written.rowcount == 0:
                _check_owner(conn, run_id, owner)

    @_retried
    def finish_unfinished_steps(self, run_id: str, status: str, detail: str) -> None:
        """Mark every step that has not ended with `status` (cancel)."""
        unfinished = ("pending", "running", "waiting-approval")
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(steps)
                .where(steps.c.run_id == run_id, steps.c.status.in_(unfinished))
                .values(status=status, detail=self.redactor.redact_text(detail))
            )

    @_retried
    def reopen_steps(self, run_id: str) -> None:
        """Turn cancelled steps back into pending ones (resume)."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(steps)
                .where(steps.c.run_id == run_id, steps.c.status == "cancelled")
                .values(status="pending", detail="")
            )

    @_retried
    def add_approval(self, run_id: str, record: ApprovalRecord) -> bool:
        """Store a decision (its comment redacted); False when this person already decided on this step."""
        row = {
            "run_id": run_id,
            "step_id": record.step,
            **record.model_dump(exclude={"step", "identity"}),
        }
        row["comment"] = self.redactor.redact_text(record.comment)
        with self.engine.begin() as conn:
            exists = conn.execute(
                sa.select(approvals.c.actor).where(
                    approvals.c.run_id == run_id,
                    approvals.c.step_id == record.step,
                    approvals.c.actor == record.actor,
                )
            ).first()
            if exists:
                return False
            conn.execute(sa.insert(approvals).values(**row))
            if record.identity is not None:
                conn.execute(
                    sa.insert(records).values(
                        run_id=run_id,
                        key=f"approval:{record.step}:{record.actor}",
                        kind="approval-identity",
                        body=record.identity.model_dump_json(),
                        time=record.time,
                    )
                )
        return True

    @_retried
    def put_record(self, run_id: str, key: str, kind: str, body: str, time: datetime) -> bool:
        """Store one evidence record once; False when `key` was already recorded."""
        with self.engine.begin() as conn:
            return _insert_record(conn, run_id, key, kind, body, time)

    @_retried
    def put_harvest(self, run_id: str, number: int, ended: list[str], owner: str) -> bool:
        """Checkpoint the workflow's `number`th harvest (the steps it saw end), under its claim.

        False, with nothing written, when the run was cancelled meanwhile: a resume replays
        the harvests recorded before the cancel only. A retry finding the row written means
        its first commit landed: nothing is written twice.
        """
        key = f"{HARVEST}:{number:08d}"
        with self.engine.begin() as conn:
            _check_owner(conn, run_id, owner)
            if conn.execute(_RUN_STATUS, {"id_": run_id}).scalar() == "cancelled":
                return False
            _insert_record(conn, run_id, key, HARVEST, json.dumps(ended), _now())
        return True

    def harvests_of(self, run_id: str) -> dict[int, list[str]]:
        """The run's checkpointed harvests by number (what a replay collects, in that order)."""
        return {
            int(key.rsplit(":", 1)[1]): json.loads(body)
            for key, body in self.records_of(run_id, HARVEST)
        }

    @_retried
    def records_of(self, run_id: str, kind: str) -> list[tuple[str, str]]:
        """`(key, body)` of a run's records of one kind, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(records.c.key, records.c.body)
                .where(records.c.run_id == run_id, records.c.kind == kind)
                .order_by(records.c.time, records.c.key)
            ).all()
        return [(r.key, r.body) for r in rows]

    def add_actor(self, run_id: str, record: ActorRecord) -> None:
        """Record who started, cancelled or resumed a run (the reason redacted)."""
        clean = record.model_copy(update={"reason": self.redactor.redact_text(record.reason)})
        key = f"actor:{record.what}:{record.time.isoformat()}:{record.identity.key}"
        self.put_record(run_id, key, "actor", clean.model_dump_json(), record.time)

    def actors_of(self, run_id: str) -> list[ActorRecord]:
        """Who acted on a run, oldest first."""
        return [ActorRecord.model_validate_json(b) for _, b in self.records_of(run_id, "actor")]

    def add_intent(self, run_id: str, intent: WriteIntent) -> None:
        """Journal a write a step is about to make (before the call is sent)."""
        key = f"intent:{intent.step_id}:{intent.attempt}:{intent.seq}"
        self.put_record(run_id, key, "intent", intent.model_dump_json(), intent.time or _now())

    def answer_intent(self, run_id: str, intent: WriteIntent) -> None:
        """Journal AWS's answer to an intended write."""
        key = f"answer:{intent.step_id}:{intent.attempt}:{intent.seq}"
        self.put_record(run_id, key, "intent-answer", intent.model_dump_json(), _now())

    @_retried
    def add_calls(self, run_id: str, calls: list[AwsCall]) -> None:
        """Store a batch of a step's AWS calls in one transaction (a retry skips stored ones)."""
        if not calls:
            return
        rows = [
            {"run_id": run_id, **c.model_dump(), "resource": self.redactor.redact_text(c.resource)}
            for c in calls
        ]
        with self.engine.begin() as conn:
            first = calls[0]
            stored = {
                (r.step_id, r.attempt, r.seq)
                for r in conn.execute(
                    sa.select(aws_calls.c.step_id, aws_calls.c.attempt, aws_calls.c.seq).where(
                        aws_calls.c.run_id == run_id,
                        aws_calls.c.step_id.in_({c.step_id for c in calls}),
                        aws_calls.c.attempt == first.attempt,
                        # only rows a batch can collide with: a long canary buffer is flushed often
                        aws_calls.c.seq.between(
                            min(c.seq for c in calls), max(c.seq for c in calls)
                        ),
                    )
                )
            }
            fresh = [r for r in rows if (r["step_id"], r["attempt"], r["seq"]) not in stored]
            if fresh:
                conn.execute(sa.insert(aws_calls), fresh)

    @_retried
    def last_call_attempt(self, run_id: str, step_id: str) -> int:
        """The highest attempt number a (pseudo) step's calls are journaled under, 0 if none."""
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(sa.func.max(aws_calls.c.attempt)).where(
                    aws_calls.c.run_id == run_id, aws_calls.c.step_id == step_id
                )
            ).scalar()
        return int(found or 0)

    @_retried
    def calls_of(self, run_id: str) -> list[AwsCall]:
        """Every AWS call a run's steps made, in the order they were made."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(aws_calls)
                .where(aws_calls.c.run_id == run_id)
                .order_by(
                    aws_calls.c.time, aws_calls.c.step_id, aws_calls.c.attempt, aws_calls.c.seq
                )
            ).all()
        return [
            AwsCall.model_validate(
                {k: v for k, v in r._mapping.items() if k != "run_id"} | {"time": _utc(r.time)}
            )
            for r in rows
        ]

    def intents_of(self, run_id: str, step_id: str | None = None) -> list[WriteIntent]:
        """Every journaled write intent of a run (answered ones with AWS's answer)."""
        answers = {
            k.removeprefix("answer:"): WriteIntent.model_validate_json(b)
            for k, b in self.records_of(run_id, "intent-answer")
        }
        found = [
            answers.get(k.removeprefix("intent:")) or WriteIntent.model_validate_json(b)
            for k, b in self.records_of(run_id, "intent")
        ]
        ordered = sorted(found, key=lambda i: (i.step_id, i.attempt, i.seq))
        return [i for i in ordered if step_id is None or i.step_id == step_id]

    def interruptions_of(self, run_id: str, step_id: str | None = None) -> list[Interruption]:
        """The interrupted attempts of a run's steps, oldest first."""
        found = [
            Interruption.model_validate_json(b) for _, b in self.records_of(run_id, "interruption")
        ]
        return [i for i in found if step_id is None or i.step_id == step_id]

    def set_provenance(self, run_id: str, provenance: Provenance, time: datetime) -> None:
        """Record where a run's runbook came from (once, at start)."""
        self.put_record(run_id, "provenance", "provenance", provenance.model_dump_json(), time)

    def provenance_of(self, run_id: str) -> Provenance | None:
        """The provenance recorded at start, if any."""
        found = self.records_of(run_id, "provenance")
        return Provenance.model_validate_json(found[0][1]) if found else None

    @_retried
    def put_measurement(self, run_id: str, measurement: Measurement) -> None:
        """Insert or replace a measurement of a run."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.delete(measurements).where(
                    measurements.c.run_id == run_id, measurements.c.name == measurement.name
                )
            )
            conn.execute(
                sa.insert(measurements).values(
                    run_id=run_id, name=measurement.name, body=measurement.model_dump_json()
                )
            )

    @_retried
    def claim(self, run_id: str, now: datetime) -> str:
        """Make a new execution of the run's workflow its owner; returns the execution's token.

        Each execution (the first, a resume, a recovery by another worker) claims the run
        before it starts steps and passes its token to every step write: an execution that
        was superseded, such as a worker presumed dead that still runs, meets `RunTakenOver`
        at its next step start or end instead of writing over its successor's journal.
        """
        token = uuid.uuid4().hex
        with self.engine.begin() as conn:
            claimed = conn.execute(
                sa.update(owners)
                .where(owners.c.run_id == run_id)
                .values(token=token, claimed_at=now)
            )
            if claimed.rowcount == 0:
                conn.execute(sa.insert(owners).values(run_id=run_id, token=token, claimed_at=now))
        return token

    @_retried
    def start_step(
        self, run_id: str, step_id: str, now: datetime, owner: str | None = None
    ) -> StepRun:
        """Mark an unfinished step running and return its entry; a finished entry comes back as is.

        Attempts continue from the journal: a step found `running` was interrupted (its process
        died mid-attempt), so the attempt is recorded as an `Interruption` with the writes it
        had journaled, and the step goes on under the next number. With `owner`, only while
        that workflow execution owns the run (`claim`), else `RunTakenOver`.
        """
        key = _key(run_id, step_id)
        with self.engine.begin() as conn:
            if owner is None:
                started = conn.execute(_START_PENDING, {**key, "now_": now}).first()
            else:
                started = conn.execute(
                    _START_PENDING_OWNED, {**key, "now_": now, "owner_": owner}
                ).first()
            if started is not None:  # the usual case: its first start
                return _step_model(started._mapping)
            if owner is not None:
                _check_owner(conn, run_id, owner)
            row = conn.execute(_STEP, key).first()
            if row is None:
                raise KeyError(step_id)
            entry = _step_model(row._mapping)
            if entry.status in FINISHED_STEP:
                return entry
            interrupted = entry.status == "running" and entry.attempts >= 1
            if interrupted:
                self._record_interruption(conn, run_id, entry, now)
            entry = entry.model_copy(
                update={
                    "status": "running",
                    "attempts": entry.attempts + 1 if interrupted else max(entry.attempts, 1),
                    "started_at": entry.started_at or now,
                }
            )
            values = {
                "status": "running",
                "attempts": entry.attempts,
                "started_at": entry.started_at,
            }
            conn.execute(
                _update_step(frozenset(values)),
                {**{f"v_{c}": v for c, v in values.items()}, **_key(run_id, step_id)},
            )
        return entry

    @_retried
    def start_steps(
        self, run_id: str, step_ids: Sequence[str], now: datetime, owner: str
    ) -> dict[str, StepRun]:
        """`start_step` for the pending ones of `step_ids`, in one transaction: their entries.

        The scheduler starts each wave of ready steps so, rather than each step its own row:
        a thousand steps ready together were a thousand write transactions in line. A step
        not pending (finished, or found running after a crash) is left out and goes the long
        way in its own thread (`start_step`). Written only while `owner` owns the run, else
        `RunTakenOver`.
        """
        started: dict[str, StepRun] = {}
        with self.engine.begin() as conn:
            for at in range(0, len(step_ids), _START_BATCH):
                chunk = list(step_ids[at : at + _START_BATCH])
                rows = conn.execute(
                    _START_MANY_OWNED,
                    {"run_id_": run_id, "step_ids_": chunk, "now_": now, "owner_": owner},
                ).all()
                started.update((r.step_id, _step_model(r._mapping)) for r in rows)
            if len(started) < len(step_ids):
                _check_owner(conn, run_id, owner)
        return started

    def _record_interruption(
        self, conn: sa.Connection, run_id: str, entry: StepRun, now: datetime
    ) -> None:
        key = f"interruption:{entry.id}:{entry.attempts}"
        if conn.execute(
            sa.select(records.c.key).where(records.c.run_id == run_id, records.c.key == key)
        ).first():
            return
        writes = [
            WriteIntent.model_validate_json(r.body)
            for r in conn.execute(
                sa.select(records.c.body).where(
                    records.c.run_id == run_id,
                    records.c.kind == "intent",
                    records.c.key.startswith(f"intent:{entry.id}:{entry.attempts}:"),
                )
            ).all()
        ]
        found = Interruption(
            step_id=entry.id,
            attempt=entry.attempts,
            started_at=entry.started_at,
            detected_at=now,
            writes=sorted(writes, key=lambda w: w.seq),
        )
        conn.execute(
            sa.insert(records).values(
                run_id=run_id, key=key, kind="interruption", body=found.model_dump_json(), time=now
            )
        )

    @_retried
    def run_status(self, run_id: str) -> str | None:
        """Just the status column of a run (cheap enough to poll)."""
        with self.engine.connect() as conn:
            value = conn.execute(_RUN_STATUS, {"id_": run_id}).scalar()
        return None if value is None else str(value)

    @_retried
    def run_started_at(self, run_id: str) -> datetime | None:
        """When the run began (None before it did), without reading its steps."""
        with self.engine.connect() as conn:
            value = conn.execute(_RUN_STARTED, {"id_": run_id}).scalar()
        return _utc(value)

    @_retried
    def step(self, run_id: str, step_id: str) -> StepRun | None:
        """One step's journal entry."""
        with self.engine.connect() as conn:
            row = conn.execute(_STEP, _key(run_id, step_id)).first()
        return _step_model(row._mapping) if row else None

    def approvals_of(self, run_id: str, step_id: str) -> list[ApprovalRecord]:
        """Decisions recorded on one step, oldest first."""
        return [a for a in self.run_approvals(run_id) if a.step == step_id]

    @_retried
    def run_approvals(self, run_id: str) -> list[ApprovalRecord]:
        """Every decision of a run, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(approvals).where(approvals.c.run_id == run_id).order_by(approvals.c.time)
            ).all()
        identities = {
            key: Identity.model_validate_json(body)
            for key, body in self.records_of(run_id, "approval-identity")
        }
        return [
            ApprovalRecord(
                step=r.step_id,
                actor=r.actor,
                decision=r.decision,
                comment=r.comment,
                time=_utc(r.time) or r.time,
                identity=identities.get(f"approval:{r.step_id}:{r.actor}"),
            )
            for r in rows
        ]

    @_retried
    def get_run(self, run_id: str) -> Run | None:
        """A run with its steps, approvals and measurements."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
            if row is None:
                return None
            step_rows = conn.execute(
                sa.select(steps).where(steps.c.run_id == run_id).order_by(steps.c.position)
            ).all()
            found = conn.execute(
                sa.select(measurements.c.body).where(measurements.c.run_id == run_id)
            ).all()
        return Run(
            **{**row._mapping, "started_at": _utc(row.started_at), "ended_at": _utc(row.ended_at)},
            steps=[_step_model(r._mapping) for r in step_rows],
            approvals=self.run_approvals(run_id),
            measurements=[Measurement.model_validate_json(m.body) for m in found],
            actors=self.actors_of(run_id),
            provenance=self.provenance_of(run_id),
            intents=self.intents_of(run_id),
            interruptions=self.interruptions_of(run_id),
        )

    @_retried
    def unfinished_runs(self, executor_id: str) -> list[str]:
        """Ids of the runs an executor holds that have not ended."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(runs.c.id).where(
                    runs.c.executor == executor_id, runs.c.status.not_in(FINISHED_RUN)
                )
            ).all()
        return [r.id for r in rows]

    @_retried
    def run_ids(self, limit: int = 50) -> list[str]:
        """Ids of the newest runs first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(runs.c.id)
                .order_by(runs.c.started_at.desc().nulls_last(), runs.c.id.desc())
                .limit(limit)
            ).all()
        return [r.id for r in rows]


def _now() -> datetime:
    return datetime.now(UTC)


def _step_row(run_id: str, step: StepRun, position: int) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "step_id": step.id,
        "position": position,
        "status": step.status,
        "attempts": step.attempts,
        "started_at": step.started_at,
        "ended_at": step.ended_at,
        "output": json.dumps(step.output),
        "error": step.error.model_dump_json() if step.error else None,
        "changed": step.changed,
        "detail": step.detail,
    }


def _end_of(entry: StepRun) -> dict[str, Any]:
    """The columns a step's end sets."""
    return entry.model_dump(exclude={"id", "started_at"})


def _step_params(run_id: str, step_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """The bound values of `_update_step(frozenset(values))`, JSON columns encoded (in a
    copy: a retry must see the caller's values)."""
    encoded = dict(values)
    if "output" in encoded:
        encoded["output"] = json.dumps(encoded["output"], default=str)
    if isinstance(encoded.get("error"), StepError):
        encoded["error"] = encoded["error"].model_dump_json()
    elif isinstance(encoded.get("error"), dict):
        encoded["error"] = json.dumps(encoded["error"])
    return {**{f"v_{c}": v for c, v in encoded.items()}, **_key(run_id, step_id)}


def _step_model(row: Any) -> StepRun:
    return StepRun(
        id=row["step_id"],
        status=row["status"],
        attempts=row["attempts"],
        started_at=_utc(row["started_at"]),
        ended_at=_utc(row["ended_at"]),
        output=json.loads(row["output"]),
        error=StepError.model_validate_json(row["error"]) if row["error"] else None,
        changed=row["changed"],
        detail=row["detail"],
    )


def _engine(url: str) -> sa.Engine:
    """One pool per database; for SQLite it is shared with DBOS (see `runtime`)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False}, pool_size=20, max_overflow=20
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # IMMEDIATE serialises writers (as DBOS does). WAL + synchronous=NORMAL survives
            # any process crash; only an OS crash may drop the newest commits, and a step
            # whose end was lost runs again, which check-then-act actions allow.
            dbapi_conn.isolation_level = "IMMEDIATE"
            dbapi_conn.execute("PRAGMA busy_timeout=30000")
            dbapi_conn.execute("PRAGMA foreign_keys=ON")
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")

        serialize_writes(engine)
        return engine
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    # Pre-ping: a pooled connection the server ended meanwhile is replaced before use.
    return sa.create_engine(parsed, pool_size=10, max_overflow=10, pool_pre_ping=True)

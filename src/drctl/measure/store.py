"""Probe samples and measuring state in the state database, beside the run journal.

Two tables of their own (the journal's tables are never altered): `drctl_probe_samples`,
one row per availability sample or acknowledged canary write, written as it is taken, and
`drctl_measured_runs`, one `MeasureState` per measured run.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from pydantic import BaseModel

from drctl.measure.record import MeasureState
from drctl.probes.measure import Ack, Sample
from drctl.transient import RETRY_SECONDS, create_tables, retry_transient

M = TypeVar("M", bound=BaseModel)

_meta = sa.MetaData()
samples = sa.Table(
    "drctl_probe_samples",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(120), nullable=False, index=True),
    sa.Column("probe", sa.String(40), nullable=False),
    sa.Column("session", sa.Integer, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
)
measured_runs = sa.Table(
    "drctl_measured_runs",
    _meta,
    sa.Column("run_id", sa.String(120), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
)

AVAILABILITY, CANARY = "availability", "canary"


def beside_probe(name: str) -> str:
    """The `probe` column of a probe beside the RTO's (names are at most 24 characters)."""
    return f"{AVAILABILITY}:{name}"


def beside_canary(name: str) -> str:
    """The `probe` column of a canary beside the RPO's."""
    return f"{CANARY}:{name}"


class MeasureStore:
    """Reads and writes the measuring tables over the journal's SQLAlchemy engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        retry_transient(lambda: create_tables(_meta, engine), budget=RETRY_SECONDS)

    def state(self, run_id: str) -> MeasureState | None:
        """The measuring state of a run, or None when it was not measured."""
        with self.engine.connect() as conn:
            body = conn.execute(
                sa.select(measured_runs.c.body).where(measured_runs.c.run_id == run_id)
            ).scalar()
        return MeasureState.model_validate_json(body) if body else None

    def put_state(self, run_id: str, state: MeasureState) -> None:
        """Insert or replace the measuring state of a run."""

        def write() -> None:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(measured_runs).where(measured_runs.c.run_id == run_id))
                conn.execute(
                    sa.insert(measured_runs).values(run_id=run_id, body=state.model_dump_json())
                )

        retry_transient(write, budget=RETRY_SECONDS)

    def add(self, run_id: str, probe: str, session: int, row: Sample | Ack) -> None:
        """Journal one sample or acknowledged write as it is taken."""

        def write() -> None:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.insert(samples).values(
                        run_id=run_id,
                        probe=probe,
                        session=session,
                        time=row.time,
                        body=row.model_dump_json(),
                    )
                )

        retry_transient(write, budget=RETRY_SECONDS)

    def availability(self, run_id: str) -> list[tuple[int, Sample]]:
        """The run's availability samples with their session, oldest first."""
        return self._rows(run_id, AVAILABILITY, Sample)

    def beside(self, run_id: str, name: str) -> list[tuple[int, Sample]]:
        """Samples of the availability probe `name` measured beside the RTO's own."""
        return self._rows(run_id, beside_probe(name), Sample)

    def beside_acks(self, run_id: str, name: str) -> list[tuple[int, Ack]]:
        """Acknowledged writes of the canary `name` measured beside the RPO's own."""
        return self._rows(run_id, beside_canary(name), Ack)

    def acks(self, run_id: str) -> list[tuple[int, Ack]]:
        """The run's acknowledged canary writes with their session, oldest first."""
        return self._rows(run_id, CANARY, Ack)

    def forget(self, prefix: str, before: datetime) -> None:
        """Delete the rows of every series whose id starts with `prefix`, taken before `before`."""

        def delete() -> None:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.delete(samples).where(
                        samples.c.run_id.startswith(prefix, autoescape=True),
                        samples.c.time < before,
                    )
                )

        retry_transient(delete, budget=RETRY_SECONDS)

    def count(self, run_id: str) -> int:
        """How many samples and acknowledged writes the run has journaled."""
        query = sa.select(sa.func.count()).select_from(samples).where(samples.c.run_id == run_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def _rows(self, run_id: str, probe: str, model: type[M]) -> list[tuple[int, M]]:
        query = (
            sa.select(samples.c.session, samples.c.body)
            .where(samples.c.run_id == run_id, samples.c.probe == probe)
            .order_by(samples.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [(int(row[0]), model.model_validate_json(row[1])) for row in rows]

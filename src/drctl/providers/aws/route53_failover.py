"""Route 53 actions: make the secondary active, restore the primary (failback), read health status.

Methods: `health-check` writes nothing: Route 53's health checks fail over on their own (data
plane) and the step waits until DNS answers the secondary. `disable-health-check` sets Disabled
*and* Inverted on the primary's check: Route 53 treats a disabled check as healthy unless it is
inverted (UpdateHealthCheck API reference), so the primary is out whether its endpoint is up or
down. `invert-health-check` sets only Inverted: right for a planned switch away from a *healthy*
primary, wrong in a disaster (a failing check inverted reads healthy and sends traffic back to
the dead primary). `record-upsert` UPSERTs the PRIMARY record to the secondary's target (the
seed's `change-resource-record-sets --change-batch file://failover.json`), keeping the record's
health check so failback restores it.
Every method then waits until Route 53 answers with the wanted side (TestDNSAnswer) when the
targets are plain values; alias answers resolve to addresses we cannot predict, so for alias
targets the step checks the configuration only.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from drctl.errors import NotFoundError, StateError
from drctl.providers import dns_query
from drctl.providers.aws import arc
from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.clients import aws_errors
from drctl.providers.aws.route53 import (
    ROUTE53_REGION,
    FailoverRecords,
    HealthCheckState,
    RecordState,
    RecordType,
    Target,
    dns_answer,
    read_failover_records,
    read_health_check,
    record_change,
    route53,
)
from drctl.providers.base import Outcome, Output, Params

Method = Literal[
    "health-check",
    "disable-health-check",
    "invert-health-check",
    "record-upsert",
    "arc-routing-control",
]


class ArcControls(Params):
    """An ARC cluster's regional endpoints (tried in order) and the routing control per side."""

    endpoints: dict[str, str] = Field(min_length=1)
    primary_control: str
    secondary_control: str


class FailoverParams(Params):
    """The failover record, how to switch it, and (for record-upsert) both targets."""

    hosted_zone: str
    record: str
    type: RecordType = "A"
    method: Method = "disable-health-check"
    primary: Target | None = None
    secondary: Target | None = None
    health_check_id: str | None = None
    ttl: int = 60
    arc: ArcControls | None = None

    @model_validator(mode="after")
    def _targets_for_upsert(self) -> FailoverParams:
        if self.method == "record-upsert" and (self.primary is None or self.secondary is None):
            raise ValueError("method record-upsert needs both `primary` and `secondary` targets")
        if self.method == "arc-routing-control" and self.arc is None:
            raise ValueError("method arc-routing-control needs `arc` (endpoints and controls)")
        return self


class _Switch(AwsAction[FailoverParams]):
    Params = FailoverParams
    to_secondary: ClassVar[bool]

    @property
    def where(self) -> str:
        return f"record {self.params.record} in zone {self.params.hosted_zone} in {ROUTE53_REGION}"

    def describe(self) -> str:
        p = self.params
        side = "secondary" if self.to_secondary else "primary"
        return (
            f"make the {side} of {p.record} ({p.type}, zone {p.hosted_zone}) active by {p.method}"
        )

    def _records(self) -> FailoverRecords:
        p = self.params
        records = read_failover_records(self.clients, p.hosted_zone, p.record, p.type)
        if records.primary is None:
            raise NotFoundError(
                f"{p.record} has no PRIMARY failover record",
                hint="create PRIMARY/SECONDARY failover records (see the plan's route53-failover resource)",
                where=self.where,
                code="NoFailoverRecord",
            )
        return records

    def _primary(self, records: FailoverRecords) -> RecordState:
        assert records.primary is not None  # _records() guarantees it
        return records.primary

    def _health_check_id(self, records: FailoverRecords) -> str:
        hc = self.params.health_check_id or self._primary(records).health_check_id
        if not hc:
            raise StateError(
                f"the PRIMARY record of {self.params.record} has no health check",
                hint="give `health_check_id`, or attach a health check to the PRIMARY record",
                where=self.where,
                code="NoHealthCheck",
            )
        return hc

    def _arc_wanted(self) -> dict[str, str]:
        controls = self.params.arc
        assert controls is not None  # validated for arc-routing-control
        on, off = (
            (controls.secondary_control, controls.primary_control)
            if self.to_secondary
            else (controls.primary_control, controls.secondary_control)
        )
        return {on: "On", off: "Off"}

    def _arc_states(self) -> dict[str, str]:
        assert self.params.arc is not None
        return arc.read_states(self.clients, self.params.arc.endpoints, list(self._arc_wanted()))

    def _apply_arc(self) -> Outcome:
        assert self.params.arc is not None
        wanted = self._arc_wanted()
        evidence: Output = {"routing_controls": dict(wanted)}
        if self._arc_states() == wanted:
            return Outcome(changed=False, detail="routing controls already set", output=evidence)
        arc.update_states(self.clients, self.params.arc.endpoints, wanted)
        states = ", ".join(f"{a.rsplit('/', 1)[-1]}={v}" for a, v in wanted.items())
        return Outcome(changed=True, detail=f"routing controls: {states}", output=evidence)

    def current(self) -> Output:
        if self.params.method == "arc-routing-control":
            return {"routing_controls": dict(self._arc_states())}
        records = self._records()
        out: Output = {"records": dump(records)}
        if self.params.method in ("disable-health-check", "invert-health-check"):
            out["health_check"] = dump(
                read_health_check(self.clients, self._health_check_id(records))
            )
        return out

    def apply(self) -> Outcome:
        if self.params.method == "arc-routing-control":
            return self._apply_arc()
        records = self._records()
        if self.params.method == "record-upsert":
            return self._apply_record(records)
        if self.params.method == "health-check":
            return Outcome(changed=False, detail="left to Route 53 health checks (data plane)")
        return self._apply_flags(self._health_check_id(records))

    def _wanted_flags(self) -> tuple[bool, bool]:
        disable = self.params.method == "disable-health-check"
        return (True, disable) if self.to_secondary else (False, False)

    def _apply_flags(self, hc: str) -> Outcome:
        inverted, disabled = self._wanted_flags()
        state = read_health_check(self.clients, hc)
        evidence: Output = {
            "health_check_ids": [hc],
            "health_check_update": {
                "HealthCheckId": hc,
                "Inverted": inverted,
                "Disabled": disabled,
            },
        }
        if (state.inverted, state.disabled) == (inverted, disabled):
            return Outcome(changed=False, detail=f"health check {hc} already set", output=evidence)
        with aws_errors(f"health check {hc}", ROUTE53_REGION):
            route53(self.clients).update_health_check(
                HealthCheckId=hc, Inverted=inverted, Disabled=disabled
            )
        return Outcome(
            changed=True,
            detail=f"health check {hc}: inverted={inverted} disabled={disabled}",
            output=evidence,
        )

    def _wanted_record(self, records: FailoverRecords) -> tuple[Target, str | None]:
        # The UPSERT keeps the PRIMARY record's health check in both directions: while the
        # record points at the secondary its answer is the secondary whichever record Route 53
        # picks, and failback finds the check on the record to restore automatic failover.
        p = self.params
        assert p.primary is not None and p.secondary is not None  # validated for record-upsert
        hc = p.health_check_id or self._primary(records).health_check_id
        if not self.to_secondary and not hc:
            raise StateError(
                f"the PRIMARY record of {p.record} has no health check to restore",
                hint="give `health_check_id` (the primary's check): without it failback would "
                "leave automatic failover disarmed",
                where=self.where,
                code="NoHealthCheck",
            )
        return (p.secondary, hc) if self.to_secondary else (p.primary, hc)

    def _apply_record(self, records: FailoverRecords) -> Outcome:
        target, hc = self._wanted_record(records)
        primary = self._primary(records)
        batch = record_change(records, self.params.type, primary, target, hc, self.params.ttl)
        evidence: Output = {
            "change_batch": json.loads(json.dumps(batch)),
            "health_check_ids": [hc] if hc else [],
        }
        if primary.points_at(target) and primary.health_check_id == hc:
            return Outcome(
                changed=False,
                detail="PRIMARY record already answers with the target",
                output=evidence,
            )
        with aws_errors(self.where, ROUTE53_REGION):
            change = route53(self.clients).change_resource_record_sets(
                HostedZoneId=records.zone_id, ChangeBatch=batch
            )["ChangeInfo"]
        self._submitted = (change["Id"],)
        return Outcome(
            changed=True,
            detail=f"change {change['Id']} submitted",
            output={**evidence, "change_id": change["Id"]},
        )

    def verify(self, deadline: float) -> Output:
        configured = self._verify_configuration(deadline)
        return {**configured, **self._verify_answer(deadline)}

    def _verify_answer(self, deadline: float) -> Output:
        p = self.params
        wanted = p.secondary if self.to_secondary else p.primary
        if wanted is None or wanted.value is None:
            return {}
        value = wanted.value

        def problem(answer: tuple[str, ...]) -> str:
            return (
                ""
                if value in answer
                else f"Route 53 answers {', '.join(answer) or 'nothing'}, not {value}"
            )

        answer = self.wait(self._answer, problem, deadline, self.where)
        return {"dns_answer": list(answer)}

    def _answer(self) -> tuple[str, ...]:
        p = self.params
        if p.method != "arc-routing-control":
            return dns_answer(self.clients, p.hosted_zone, p.record, p.type)
        # The data-plane switch is verified on the data plane: the zone's name servers.
        zone = p.hosted_zone if "." in p.hosted_zone else p.record.split(".", 1)[-1]
        return dns_query.authoritative_answer(zone, p.record, p.type, self.ctx.settings.dns_servers)

    def _verify_configuration(self, deadline: float) -> Output:
        if self.params.method == "arc-routing-control":
            controls = self._arc_wanted()
            states = self.wait(
                self._arc_states,
                lambda got: (
                    "" if got == controls else f"routing controls are {got}, want {controls}"
                ),
                deadline,
                self.where,
            )
            return {"routing_controls": dict(states)}
        if self.params.method == "record-upsert":
            return self._verify_record(deadline)
        if self.params.method == "health-check":
            return {}
        hc = self._health_check_id(self._records())
        wanted = self._wanted_flags()

        def problem(state: HealthCheckState) -> str:
            got = (state.inverted, state.disabled)
            return (
                ""
                if got == wanted
                else f"health check {hc} has inverted/disabled={got}, want {wanted}"
            )

        state = self.wait(
            lambda: read_health_check(self.clients, hc), problem, deadline, self.where
        )
        return {"health_check": dump(state)}

    def _verify_record(self, deadline: float) -> Output:
        target, hc = self._wanted_record(self._records())

        def problem(records: FailoverRecords) -> str:
            primary = self._primary(records)
            return (
                ""
                if primary.points_at(target) and primary.health_check_id == hc
                else "PRIMARY record does not answer with the target and its health check yet"
            )

        records = self.wait(self._records, problem, deadline, self.where)
        changes = self._pending_changes(deadline)
        return {"records": dump(records), **changes}

    def _pending_changes(self, deadline: float) -> Output:
        # Route 53 applies a change to all its name servers when get_change reports INSYNC.
        for change_id in self._submitted:

            def read(cid: str = change_id) -> Any:
                with aws_errors(f"change {cid}", ROUTE53_REGION):
                    return route53(self.clients).get_change(Id=cid)["ChangeInfo"]

            self.wait(
                read,
                lambda info: "" if info["Status"] == "INSYNC" else f"change is {info['Status']}",
                deadline,
                self.where,
            )
        return {"insync_changes": list(self._submitted)}

    _submitted: tuple[str, ...] = ()


class ActivateSecondary(_Switch):
    """Make the SECONDARY answer for a failover record (invert/disable the primary's check, or UPSERT)."""

    kind = "aws.route53.activate-secondary"
    events = frozenset({"UpdateHealthCheck", "ChangeResourceRecordSets"})
    events_region = ROUTE53_REGION  # Route 53's control plane records its events in us-east-1
    to_secondary = True


class RestorePrimary(_Switch):
    """Failback: undo `activate-secondary` so the PRIMARY record answers again."""

    kind = "aws.route53.restore-primary"
    events = frozenset({"UpdateHealthCheck", "ChangeResourceRecordSets"})
    events_region = ROUTE53_REGION  # Route 53's control plane records its events in us-east-1
    to_secondary = False


class HealthStatusParams(Params):
    """The failover record whose health checks to read, and which sides must be healthy."""

    hosted_zone: str
    record: str
    type: RecordType = "A"
    expect_healthy: list[Literal["primary", "secondary"]] = []


class HealthStatus(AwsAction[HealthStatusParams]):
    """Read-only: which of a failover record's health checks report healthy (waits for `expect_healthy`)."""

    kind = "aws.route53.health-status"
    Params = HealthStatusParams

    def describe(self) -> str:
        return f"read health checks of {self.params.record} (zone {self.params.hosted_zone})"

    def _read(self, diagnose: bool = False) -> dict[str, HealthCheckState]:
        p = self.params
        records = read_failover_records(self.clients, p.hosted_zone, p.record, p.type)
        sides = {"primary": records.primary, "secondary": records.secondary}
        return {
            side: read_health_check(
                self.clients, rec.health_check_id, now=self.ctx.clock.now(), diagnose=diagnose
            )
            for side, rec in sides.items()
            if rec is not None and rec.health_check_id
        }

    def current(self) -> Output:
        return {side: dump(state) for side, state in self._read(diagnose=True).items()}

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only")

    def verify(self, deadline: float) -> Output:
        def problem(states: dict[str, HealthCheckState]) -> str:
            sick = [
                s for s in self.params.expect_healthy if s not in states or not states[s].healthy
            ]
            return f"not healthy: {', '.join(sick)}" if sick else ""

        where = f"record {self.params.record} in zone {self.params.hosted_zone} in {ROUTE53_REGION}"
        states = self.wait(self._read, problem, deadline, where)
        return {side: dump(state) for side, state in states.items()}

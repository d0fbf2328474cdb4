"""S3 cross-region replication: verify the configuration, a canary object, reverse replication for failback."""

from __future__ import annotations

from typing import Any

from drctl.errors import NotFoundError
from drctl.model import Frozen
from drctl.providers.aws._action import AwsAction, dump
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import Outcome, Output, Params


class ReplicationRule(Frozen):
    """One replication rule: id, status and destination bucket."""

    id: str
    status: str
    destination_bucket: str


class BucketReplication(Frozen):
    """A bucket's versioning and replication configuration."""

    bucket: str
    region: str
    versioning: str
    role: str | None
    rules: tuple[ReplicationRule, ...]

    def replicates_to(self, bucket: str) -> bool:
        """Whether an enabled rule replicates to `bucket`."""
        return any(r.status == "Enabled" and r.destination_bucket == bucket for r in self.rules)


def read_bucket_replication(clients: AwsClients, bucket: str, region: str) -> BucketReplication:
    """Versioning status and replication rules of `bucket` (no configuration → no rules)."""
    s3 = clients.client("s3", region)
    with aws_errors(f"bucket {bucket}", region):
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "Disabled")
    try:
        with aws_errors(f"bucket {bucket}", region):
            config = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]
    except NotFoundError:
        config = {}
    rules = tuple(
        ReplicationRule(
            id=r.get("ID", ""),
            status=r.get("Status", ""),
            destination_bucket=r["Destination"]["Bucket"].removeprefix("arn:aws:s3:::"),
        )
        for r in config.get("Rules", [])
    )
    return BucketReplication(
        bucket=bucket, region=region, versioning=versioning, role=config.get("Role"), rules=rules
    )


class PairParams(Params):
    """A source bucket and the destination bucket it replicates to."""

    source_bucket: str
    source_region: str
    destination_bucket: str
    destination_region: str


class VerifyParams(PairParams):
    """The pair; `check_source: false` reads only the destination (the source region may be down)."""

    check_source: bool = True


class VerifyReplication(AwsAction[VerifyParams]):
    """Read-only: versioning on both buckets and an enabled rule to the destination."""

    kind = "aws.s3.verify-replication"
    Params = VerifyParams

    def describe(self) -> str:
        p = self.params
        if not p.check_source:
            return f"verify replica bucket {p.destination_bucket} ({p.destination_region}) is versioned and readable"
        return f"verify {p.source_bucket} ({p.source_region}) replicates to {p.destination_bucket} ({p.destination_region})"

    def _read(self) -> list[BucketReplication]:
        p = self.params
        sides = [(p.destination_bucket, p.destination_region)]
        if p.check_source:
            sides.insert(0, (p.source_bucket, p.source_region))
        return [read_bucket_replication(self.clients, bucket, region) for bucket, region in sides]

    def current(self) -> Output:
        buckets = self._read()
        names = ["source", "destination"] if self.params.check_source else ["destination"]
        return {name: dump(bucket) for name, bucket in zip(names, buckets, strict=True)}

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only")

    def verify(self, deadline: float) -> Output:
        p = self.params

        def problem(buckets: list[BucketReplication]) -> str:
            bad = [
                f"versioning on {b.bucket} is {b.versioning}"
                for b in buckets
                if b.versioning != "Enabled"
            ]
            if p.check_source and not buckets[0].replicates_to(p.destination_bucket):
                bad.append(
                    f"no enabled rule on {p.source_bucket} replicates to {p.destination_bucket}"
                )
            return "; ".join(bad)

        where = (
            f"bucket {p.source_bucket} in {p.source_region}"
            if p.check_source
            else (f"bucket {p.destination_bucket} in {p.destination_region}")
        )
        buckets = self.wait(self._read, problem, deadline, where)
        if not p.check_source:
            return {"destination_versioning": buckets[0].versioning}
        return {
            "rules": [
                r.id for r in buckets[0].rules if r.destination_bucket == p.destination_bucket
            ]
        }


class S3CanaryParams(PairParams):
    """The replicated pair and the key prefix of canary objects."""

    key_prefix: str = "drctl-canary/"


class S3Canary(AwsAction[S3CanaryParams]):
    """Put a canary object and wait until it is replicated (COMPLETED, or present in the destination)."""

    kind = "aws.s3.canary"
    Params = S3CanaryParams

    @property
    def key(self) -> str:
        """One canary object per run step."""
        return f"{self.params.key_prefix}{self.ctx.run_id}/{self.ctx.step_id}"

    def describe(self) -> str:
        p = self.params
        return f"put canary {self.key} in {p.source_bucket} ({p.source_region}), wait for it in {p.destination_bucket} ({p.destination_region})"

    def _head(self, bucket: str, region: str) -> dict[str, Any] | None:
        try:
            with aws_errors(f"object {self.key} in bucket {bucket}", region):
                head: dict[str, Any] = self.client("s3", region).head_object(
                    Bucket=bucket, Key=self.key
                )
        except NotFoundError:
            return None
        return head

    def current(self) -> Output:
        head = self._head(self.params.source_bucket, self.params.source_region)
        return {
            "written": head is not None,
            "replication_status": (head or {}).get("ReplicationStatus"),
        }

    def apply(self) -> Outcome:
        p = self.params
        if self._head(p.source_bucket, p.source_region) is not None:
            return Outcome(changed=False, detail="canary object already written")
        body = f"drctl canary {self.ctx.clock.now().isoformat()}".encode()
        with aws_errors(f"bucket {p.source_bucket}", p.source_region):
            self.client("s3", p.source_region).put_object(
                Bucket=p.source_bucket, Key=self.key, Body=body
            )
        return Outcome(changed=True, detail=f"canary {self.key} written")

    def _replicated(self) -> str:
        p = self.params
        source = self._head(p.source_bucket, p.source_region) or {}
        status: str = source.get("ReplicationStatus", "none")
        if (
            status == "COMPLETED"
            or self._head(p.destination_bucket, p.destination_region) is not None
        ):
            return "COMPLETED"
        return status

    def verify(self, deadline: float) -> Output:
        p = self.params
        where = f"bucket {p.destination_bucket} in {p.destination_region}"
        status = self.wait(
            self._replicated,
            lambda s: "" if s == "COMPLETED" else f"replication status {s}",
            deadline,
            where,
        )
        return {"key": self.key, "replication_status": status}


class ReverseParams(PairParams):
    """Replicate the DR (source) bucket back to the primary (destination) with this role."""

    role_arn: str
    rule_id: str = "drctl-failback"


class ReverseReplication(AwsAction[ReverseParams]):
    """Failback re-protection: `put_bucket_replication` from the DR bucket back to the primary."""

    kind = "aws.s3.reverse-replication"
    events = frozenset({"PutBucketReplication"})
    Params = ReverseParams

    def describe(self) -> str:
        p = self.params
        return f"replicate {p.source_bucket} ({p.source_region}) back to {p.destination_bucket} ({p.destination_region})"

    def _read(self) -> BucketReplication:
        return read_bucket_replication(
            self.clients, self.params.source_bucket, self.params.source_region
        )

    def current(self) -> Output:
        return dump(self._read())

    def apply(self) -> Outcome:
        p, state = self.params, self._read()
        if (
            state.replicates_to(p.destination_bucket)
            and state.role == p.role_arn
            and state.versioning == "Enabled"
        ):
            return Outcome(
                changed=False,
                detail=f"{p.source_bucket} already replicates to {p.destination_bucket}",
            )
        s3 = self.client("s3", p.source_region)
        others = [r for r in self._raw_rules() if r.get("ID") != p.rule_id]
        rule = {
            "ID": p.rule_id,
            "Status": "Enabled",
            # Priorities must be unique among rules with a Filter; keep every other rule.
            "Priority": max((int(r.get("Priority") or 0) for r in others), default=0) + 1,
            "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": f"arn:aws:s3:::{p.destination_bucket}"},
        }
        with aws_errors(f"bucket {p.source_bucket}", p.source_region):
            if state.versioning != "Enabled":  # replication requires versioning on the source
                s3.put_bucket_versioning(
                    Bucket=p.source_bucket, VersioningConfiguration={"Status": "Enabled"}
                )
            s3.put_bucket_replication(
                Bucket=p.source_bucket,
                ReplicationConfiguration={"Role": p.role_arn, "Rules": [*others, rule]},
            )
        kept = f", kept {len(others)} other rule(s)" if others else ""
        return Outcome(changed=True, detail=f"rule {p.rule_id} to {p.destination_bucket}{kept}")

    def _raw_rules(self) -> list[dict[str, Any]]:
        p = self.params
        try:
            with aws_errors(f"bucket {p.source_bucket}", p.source_region):
                config = self.client("s3", p.source_region).get_bucket_replication(
                    Bucket=p.source_bucket
                )["ReplicationConfiguration"]
        except NotFoundError:
            return []
        return list(config.get("Rules", []))

    def verify(self, deadline: float) -> Output:
        p = self.params
        state = self.wait(
            self._read,
            lambda s: "" if s.replicates_to(p.destination_bucket) else "rule not visible yet",
            deadline,
            f"bucket {p.source_bucket} in {p.source_region}",
        )
        return dump(state)


def read_replication_time_control(clients: AwsClients, bucket: str, region: str) -> dict[str, bool]:
    """Replication rule id → whether S3 Replication Time Control is enabled on it (no configuration → {})."""
    try:
        with aws_errors(f"bucket {bucket}", region):
            config = clients.client("s3", region).get_bucket_replication(Bucket=bucket)[
                "ReplicationConfiguration"
            ]
    except NotFoundError:
        return {}
    return {
        r.get("ID", ""): (r["Destination"].get("ReplicationTime") or {}).get("Status") == "Enabled"
        for r in config.get("Rules", [])
    }

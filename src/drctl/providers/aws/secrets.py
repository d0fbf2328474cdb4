"""Secrets Manager replicas (replicate, promote) and SSM parameter copies; values never leave AWS calls."""

from __future__ import annotations

import hashlib

from drctl.errors import NotFoundError
from drctl.model import Frozen
from drctl.providers.aws._action import AwsAction, dump, strings
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import Outcome, Output, Params


class SecretState(Frozen):
    """A secret's metadata in one region (never its value)."""

    name: str
    arn: str
    region: str
    primary_region: str | None
    replicas: dict[str, str]

    @property
    def is_replica(self) -> bool:
        """Whether this region holds a replica of a secret whose primary is elsewhere."""
        return self.primary_region not in (None, self.region)


def read_secret(clients: AwsClients, secret: str, region: str) -> SecretState:
    """`describe_secret` in `region`: primary region and replica region → status."""
    with aws_errors(f"secret {secret}", region):
        d = clients.client("secretsmanager", region).describe_secret(SecretId=secret)
    return SecretState(
        name=d["Name"],
        arn=d["ARN"],
        region=region,
        primary_region=d.get("PrimaryRegion"),
        replicas={r["Region"]: r.get("Status", "") for r in d.get("ReplicationStatus", [])},
    )


class ReplicateParams(Params):
    """Secrets (names or ARNs) in the primary region and the regions that must hold replicas."""

    region: str
    secrets: list[str]
    replica_regions: list[str]
    # Failback re-protection: the old primary still holds a stale secret of the same name;
    # AWS refuses to replicate over it (replica status Failed) unless told to overwrite.
    force_overwrite: bool = False


class Replicate(AwsAction[ReplicateParams]):
    """`replicate_secret_to_regions` for each secret, only to regions still missing a replica."""

    kind = "aws.secrets.replicate"
    events = frozenset({"ReplicateSecretToRegions"})
    Params = ReplicateParams

    def describe(self) -> str:
        p = self.params
        return f"replicate {len(p.secrets)} secret(s) from {p.region} to {', '.join(p.replica_regions)}"

    def _states(self) -> list[SecretState]:
        return [read_secret(self.clients, s, self.params.region) for s in self.params.secrets]

    def current(self) -> Output:
        return {"secrets": [dump(s) for s in self._states()]}

    def apply(self) -> Outcome:
        p, added = self.params, []
        for state in self._states():
            missing = [
                r
                for r in p.replica_regions
                if r not in state.replicas or (p.force_overwrite and state.replicas[r] == "Failed")
            ]
            if not missing:
                continue
            with aws_errors(f"secret {state.name}", p.region):
                self.client("secretsmanager", p.region).replicate_secret_to_regions(
                    SecretId=state.arn,
                    AddReplicaRegions=[{"Region": r} for r in missing],
                    ForceOverwriteReplicaSecret=p.force_overwrite,
                )
            added.append(f"{state.name} -> {', '.join(missing)}")
        return Outcome(changed=bool(added), detail="; ".join(added) or "every replica exists")

    def verify(self, deadline: float) -> Output:
        p = self.params

        def problem(states: list[SecretState]) -> str:
            bad = [
                f"{s.name} in {r} is {s.replicas.get(r, 'missing')}"
                for s in states
                for r in p.replica_regions
                if s.replicas.get(r) != "InSync"
            ]
            return "; ".join(bad)

        states = self.wait(self._states, problem, deadline, f"secrets in {p.region}")
        return {
            "secrets": strings(s.name for s in states),
            "replica_regions": strings(p.replica_regions),
        }


class PromoteParams(Params):
    """A replica secret and the region where it becomes a standalone secret."""

    region: str
    secret: str


class PromoteReplica(AwsAction[PromoteParams]):
    """`stop_replication_to_replica` in the DR region: the replica becomes a standalone, writable secret."""

    kind = "aws.secrets.promote-replica"
    events = frozenset({"StopReplicationToReplica"})
    Params = PromoteParams

    def describe(self) -> str:
        return f"promote the replica of secret {self.params.secret} in {self.params.region} to a standalone secret"

    def _read(self) -> SecretState:
        return read_secret(self.clients, self.params.secret, self.params.region)

    def current(self) -> Output:
        return dump(self._read())

    def apply(self) -> Outcome:
        p, state = self.params, self._read()
        if not state.is_replica:
            return Outcome(
                changed=False, detail=f"{state.name} is already standalone in {p.region}"
            )
        with aws_errors(f"secret {p.secret}", p.region):
            self.client("secretsmanager", p.region).stop_replication_to_replica(SecretId=state.arn)
        return Outcome(changed=True, detail=f"stopped replication from {state.primary_region}")

    def verify(self, deadline: float) -> Output:
        state = self.wait(
            self._read,
            lambda s: f"still a replica of {s.primary_region}" if s.is_replica else "",
            deadline,
            f"secret {self.params.secret} in {self.params.region}",
        )
        return {"arn": state.arn}


class ParametersParams(Params):
    """SSM parameter names to copy from one region to another."""

    source_region: str
    target_region: str
    names: list[str]


class CopyParameters(AwsAction[ParametersParams]):
    """Copy SSM parameters to the DR region (type kept, SecureString stays SecureString); values never output."""

    kind = "aws.ssm.copy-parameters"
    events = frozenset({"PutParameter"})
    Params = ParametersParams

    def describe(self) -> str:
        p = self.params
        return f"copy {len(p.names)} SSM parameter(s) from {p.source_region} to {p.target_region}"

    def _read(self, region: str) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        ssm = self.client("ssm", region)
        with aws_errors(f"SSM parameters {', '.join(self.params.names)}", region):
            for start in range(
                0, len(self.params.names), 10
            ):  # GetParameters takes at most 10 names
                answer = ssm.get_parameters(
                    Names=self.params.names[start : start + 10], WithDecryption=True
                )
                found.update({x["Name"]: (x["Type"], x["Value"]) for x in answer["Parameters"]})
        return found

    def _differing(self) -> list[str]:
        source, target = (
            self._read(self.params.source_region),
            self._read(self.params.target_region),
        )
        missing = [n for n in self.params.names if n not in source]
        if missing:
            raise NotFoundError(
                f"SSM parameters {', '.join(missing)} do not exist",
                hint="check the names with `aws ssm describe-parameters`",
                where=f"SSM parameters in {self.params.source_region}",
                code="ParameterNotFound",
            )
        return [n for n in self.params.names if target.get(n) != source[n]]

    def current(self) -> Output:
        return {"differing": strings(self._differing())}

    def apply(self) -> Outcome:
        p = self.params
        differing = self._differing()
        source = self._read(p.source_region)
        ssm = self.client("ssm", p.target_region)
        for name in differing:
            kind, value = source[name]
            with aws_errors(f"SSM parameter {name}", p.target_region):
                ssm.put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)
        return Outcome(changed=bool(differing), detail=f"copied {len(differing)} parameter(s)")

    def verify(self, deadline: float) -> Output:
        differing = self.wait(
            self._differing,
            lambda d: f"differ: {', '.join(d)}" if d else "",
            deadline,
            f"SSM parameters in {self.params.target_region}",
        )
        return {"copied": strings(self.params.names), "differing": strings(differing)}


def read_parameter_digests(
    clients: AwsClients, names: list[str], region: str
) -> dict[str, tuple[str, str]]:
    """SSM parameter name → (type, SHA-256 of the value) in `region`; values never leave this function."""
    ssm = clients.client("ssm", region)
    found: dict[str, tuple[str, str]] = {}
    with aws_errors(f"SSM parameters {', '.join(names)}", region):
        for start in range(0, len(names), 10):  # GetParameters takes at most 10 names
            answer = ssm.get_parameters(Names=names[start : start + 10], WithDecryption=True)
            for p in answer["Parameters"]:
                found[p["Name"]] = (p["Type"], hashlib.sha256(p["Value"].encode()).hexdigest())
    return found

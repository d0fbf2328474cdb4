"""Roles declared in the plan (`aws.roles`): each region's clients act as its own role, assumed
once per (role, region) from that region's STS, against moto's server over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from drctl.errors import EXIT_COULD_NOT_CHECK, CouldNotCheck, PlanError
from drctl.plan.aws import AwsAccess, AwsRole
from drctl.plan.load import load_plan
from drctl.plan.regions import dns_suffix
from drctl.providers.aws._action import shared_clients
from drctl.providers.aws.clients import AwsClients
from drctl.providers.base import ActionContext
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer

PRIMARY, SECONDARY, THIRD = "ap-northeast-1", "ap-southeast-1", "us-east-1"
PRIMARY_ROLE = "arn:aws:iam::111111111111:role/drctl"
DR_ROLE = "arn:aws:iam::222222222222:role/drctl-dr"
DEFAULT_ROLE = "arn:aws:iam::333333333333:role/drctl-default"
ENV_ROLE = "arn:aws:iam::444444444444:role/drctl-env"
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "pilot-light.yaml"

TWO_ROLES = (
    AwsRole(role_arn=PRIMARY_ROLE, regions=[PRIMARY], external_id="${DRCTL_TEST_EXTERNAL_ID}"),
    AwsRole(role_arn=DR_ROLE, regions=[SECONDARY], session_name="drctl-dr-session"),
)


def _base() -> tuple[boto3.Session, list[dict[str, Any]]]:
    """The SRE's own credentials; every AssumeRole request they send is kept."""
    base = boto3.Session(aws_access_key_id="AKIASRE0000000000002", aws_secret_access_key="x")
    sent: list[dict[str, Any]] = []
    base.events.register(
        "provide-client-params.sts.AssumeRole", lambda params, **_: sent.append(dict(params))
    )
    return base, sent


def _settings(sandbox: SandboxServer, tmp_path: Path, role: str = "") -> Settings:
    return Settings(home=tmp_path, aws_endpoint_url=sandbox.endpoint_url, aws_role_arn=role)


def _who(clients: AwsClients, region: str) -> str:
    arn: str = clients.client("sts", region).get_caller_identity()["Arn"]
    return arn


@pytest.fixture(autouse=True)
def _external_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRCTL_TEST_EXTERNAL_ID", "ext-from-env-0815")


def test_each_region_acts_as_its_own_role_and_the_default_covers_the_rest(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    base, sent = _base()
    roles = (*TWO_ROLES, AwsRole(role_arn=DEFAULT_ROLE))
    clients = AwsClients(_settings(sandbox, tmp_path, ENV_ROLE), roles=roles, session=base)

    assert _who(clients, PRIMARY) == "arn:aws:sts::111111111111:assumed-role/drctl/drctl"
    assert _who(clients, SECONDARY) == (
        "arn:aws:sts::222222222222:assumed-role/drctl-dr/drctl-dr-session"
    )
    assert _who(clients, THIRD) == (
        "arn:aws:sts::333333333333:assumed-role/drctl-default/drctl"
    )  # the plan's default wins over DRCTL_AWS_ROLE_ARN
    assert [(s["RoleArn"], s.get("ExternalId")) for s in sent] == [
        (PRIMARY_ROLE, "ext-from-env-0815"),
        (DR_ROLE, None),
        (DEFAULT_ROLE, None),
    ]


def test_the_environment_role_is_used_only_where_the_plan_names_none(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    base, sent = _base()
    clients = AwsClients(_settings(sandbox, tmp_path, ENV_ROLE), roles=TWO_ROLES[:1], session=base)
    assert "assumed-role/drctl/" in _who(clients, PRIMARY)
    assert _who(clients, SECONDARY) == "arn:aws:sts::444444444444:assumed-role/drctl-env/drctl"

    plain = AwsClients(_settings(sandbox, tmp_path), roles=TWO_ROLES[:1], session=base)
    assert "assumed-role" not in _who(plain, SECONDARY)  # no role anywhere: ambient credentials
    assert [s["RoleArn"] for s in sent] == [PRIMARY_ROLE, ENV_ROLE]


def test_a_run_assumes_each_role_once_per_region_whatever_its_steps_and_clients(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASRE0000000000003")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    assumed: list[str] = []
    counting = boto3.Session()  # what shared_clients' own default session would be
    counting.events.register(
        "provide-client-params.sts.AssumeRole",
        lambda params, **_: assumed.append(params["RoleArn"]),
    )
    settings = _settings(sandbox, tmp_path)
    shared: dict[str, Any] = {"aws": AwsClients(settings, roles=TWO_ROLES, session=counting)}
    for step in range(6):
        ctx = ActionContext(
            step_id=f"s{step}", settings=settings, aws_roles=TWO_ROLES, shared=shared
        )
        clients = shared_clients(ctx)
        for region in (PRIMARY, SECONDARY):
            clients.client("s3", region).list_buckets()
            clients.client("sts", region).get_caller_identity()
        probing = clients.for_probing()  # a reachability probe shares the role sessions
        assert "assumed-role/drctl-dr/" in _who(probing, SECONDARY)
    assert sorted(assumed) == sorted([PRIMARY_ROLE, DR_ROLE])


def test_a_step_context_without_a_factory_builds_one_with_the_plan_roles(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASRE0000000000004")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    shared: dict[str, Any] = {}
    ctx = ActionContext(settings=_settings(sandbox, tmp_path), aws_roles=TWO_ROLES, shared=shared)
    assert "assumed-role/drctl-dr/" in _who(shared_clients(ctx), SECONDARY)
    assert shared_clients(ctx) is shared["aws"]


def test_an_unset_external_id_variable_is_could_not_check_before_any_sts_call(
    sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRCTL_TEST_EXTERNAL_ID")
    base, sent = _base()
    clients = AwsClients(_settings(sandbox, tmp_path), roles=TWO_ROLES, session=base)
    with pytest.raises(CouldNotCheck) as raised:
        clients.client("s3", PRIMARY)
    assert raised.value.exit_code == EXIT_COULD_NOT_CHECK and sent == []
    assert raised.value.message == (
        f"the external id of {PRIMARY_ROLE} names ${{DRCTL_TEST_EXTERNAL_ID}}, which is not set"
    )
    assert raised.value.where == "aws.roles[0].external_id"


def test_a_refused_role_is_one_line_naming_role_and_region_never_the_external_id(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path, aws_endpoint_url="http://127.0.0.1:9")
    base = boto3.Session(aws_access_key_id="AKIASRE0000000000005", aws_secret_access_key="x")
    clients = AwsClients(settings, roles=TWO_ROLES, session=base, max_attempts=1)
    with pytest.raises(CouldNotCheck) as raised:
        clients.client("s3", PRIMARY)
    text = f"{raised.value.message} {raised.value.hint} {raised.value.where}"
    assert raised.value.message.startswith(f"cannot assume role {PRIMARY_ROLE} in {PRIMARY}: ")
    assert "\n" not in raised.value.message and raised.value.where == f"sts.{PRIMARY}"
    assert "ext-from-env-0815" not in text


def _plan_with(tmp_path: Path, roles: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8") + roles, encoding="utf-8")
    return path


def test_a_plan_declares_roles_and_each_region_finds_its_own(tmp_path: Path) -> None:
    path = _plan_with(
        tmp_path,
        f"""\
aws:
  roles:
    - role_arn: {PRIMARY_ROLE}
      regions: [{PRIMARY}]
      external_id: ${{DRCTL_EXTERNAL_ID}}
    - role_arn: {DEFAULT_ROLE}
""",
    )
    access = load_plan(path).aws
    assert access.role_for(PRIMARY) == access.roles[0]
    assert access.role_for(SECONDARY) == access.roles[1]
    assert AwsAccess().role_for(PRIMARY) is None


@pytest.mark.parametrize(
    ("roles", "where", "message"),
    [
        (
            "    - role_arn: arn:aws:iam::12345:role/drctl\n",
            ":1:7: aws.roles[0].role_arn:",
            "`arn:aws:iam::12345:role/drctl` is not a role ARN",
        ),
        (
            "    - role_arn: arn:aws-mars:iam::111111111111:role/drctl\n",
            ":1:7: aws.roles[0].role_arn:",
            "`aws-mars` in `arn:aws-mars:iam::111111111111:role/drctl` is not an AWS partition",
        ),
        (
            f"    - role_arn: {PRIMARY_ROLE}\n      regions: [ap-northeast-9]\n",
            ":2:17: aws.roles[0].regions[0]:",
            "`ap-northeast-9` is not an AWS region",
        ),
        (
            f"    - role_arn: {PRIMARY_ROLE}\n      regions: [cn-north-1]\n",
            ":1:7: aws.roles[0]:",
            "cn-north-1 is in partition aws-cn, the role in aws",
        ),
        (
            f"    - role_arn: {PRIMARY_ROLE}\n      regions: [{PRIMARY}]\n"
            f"    - role_arn: {DR_ROLE}\n      regions: [{SECONDARY}, {PRIMARY}]\n",
            ":4:33: aws.roles[1].regions[1]:",
            f"{PRIMARY} already has the role of aws.roles[0]",
        ),
        (
            f"    - role_arn: {PRIMARY_ROLE}\n    - role_arn: {DR_ROLE}\n",
            ":2:7: aws.roles[1]:",
            "aws.roles[0] is already the default role (no `regions`)",
        ),
        (
            f"    - role_arn: {PRIMARY_ROLE}\n      external_id: a b\n",
            ":2:7: aws.roles[0].external_id:",
            "STS accepts 2-1224 characters",
        ),
    ],
)
def test_a_bad_role_entry_is_a_plan_error_at_its_line_and_field(
    tmp_path: Path, roles: str, where: str, message: str
) -> None:
    path = _plan_with(tmp_path, "aws:\n  roles:\n" + roles)
    first = len(EXAMPLE.read_text(encoding="utf-8").splitlines()) + 2
    line, rest = where[1:].split(":", 1)
    with pytest.raises(PlanError) as raised:
        load_plan(path)
    text = str(raised.value)
    assert f"{path}:{first + int(line)}:{rest}" in text, text
    assert message in text


def test_sts_is_asked_under_the_regions_own_partition_domain() -> None:
    assert [dns_suffix(r) for r in ("ap-northeast-1", "cn-north-1", "us-gov-west-1")] == [
        "amazonaws.com",
        "amazonaws.com.cn",
        "amazonaws.com",
    ]


def test_a_runs_stored_options_keep_the_roles_as_written_for_its_resumption() -> None:
    from drctl.engine.workflow import RunOptions

    stored = RunOptions(actor="ops", aws_roles=TWO_ROLES).model_dump_json()
    assert RunOptions.model_validate_json(stored).aws_roles == TWO_ROLES
    assert "${DRCTL_TEST_EXTERNAL_ID}" in stored and "ext-from-env-0815" not in stored
    assert RunOptions.model_validate_json('{"actor": "ops"}').aws_roles == ()  # older runs

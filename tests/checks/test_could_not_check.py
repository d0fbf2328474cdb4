"""No credentials or an unreachable endpoint: one up-front message and exit 3, not a finding per rule."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from tests.checks.conftest import SEED

from drctl.checks.base import PlanRule
from drctl.checks.context import CheckContext
from drctl.checks.model import Finding, Notification
from drctl.checks.registry import RULES
from drctl.checks.render import render_junit, render_sarif
from drctl.checks.run import check_plan
from drctl.cli import main
from drctl.errors import ProviderError
from drctl.plan.load import load_plan

JUNIT_XSD = Path(__file__).resolve().parents[1] / "report" / "junit.xsd"
NO_CREDENTIALS = Notification(
    message="AWS credentials are not usable: Unable to locate credentials",
    hint="set AWS_PROFILE",
    where="sts in ap-southeast-1",
)


class Unreachable(PlanRule):
    id = "unreachable-probe"
    title = "Reads an endpoint that does not answer"
    rationale = "test"
    hint = "none"
    live = True

    def check(self, ctx: CheckContext) -> list[Finding]:
        raise ProviderError(
            "cannot reach the AWS endpoint: Could not connect",
            hint="check network access",
            where="rds in ap-northeast-1",
            code="EndpointConnectionError",
        )


def context(**kwargs: object) -> CheckContext:
    return CheckContext(plan=load_plan(SEED), plan_path=SEED, history=list, **kwargs)  # type: ignore[arg-type]


def test_when_the_estate_cannot_be_read_live_rules_do_not_run_and_one_notification_says_why() -> (
    None
):
    report = check_plan(RULES, context(reach=lambda: NO_CREDENTIALS), mode="live")
    assert [n.message for n in report.notifications] == [NO_CREDENTIALS.message]
    assert "s3-versioning" in report.notifications[0].rules
    assert all(not r.live for r in report.rules)
    assert not report.complete


def test_an_unreachable_endpoint_inside_a_rule_is_a_notification_not_a_finding() -> None:
    report = check_plan([Unreachable(), Unreachable()], context(), mode="live", workers=1)
    assert report.findings == []
    assert report.notifications == [
        Notification(
            message="cannot reach the AWS endpoint: Could not connect",
            hint="check network access",
            where="rds in ap-northeast-1",
            rules=["unreachable-probe"],
        )
    ]


def test_sarif_carries_the_notification_in_the_invocation_not_as_results() -> None:
    report = check_plan(RULES, context(reach=lambda: NO_CREDENTIALS), mode="live")
    run = json.loads(render_sarif(report, "seed.yaml"))["runs"][0]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == f"{NO_CREDENTIALS.message}. Fix: set AWS_PROFILE"
    live = {r.id for r in RULES if r.live}
    assert [r["ruleId"] for r in run["results"] if r["ruleId"] in live] == []


def test_junit_reports_the_notification_as_one_error_and_stays_schema_valid() -> None:
    report = check_plan(RULES, context(reach=lambda: NO_CREDENTIALS), mode="live")
    text = render_junit(report)
    xmlschema.XMLSchema(JUNIT_XSD).validate(text)
    suite = ET.fromstring(text).find("testsuite")
    assert suite is not None and suite.get("errors") == "1"
    errors = list(suite.iter("error"))
    assert [e.get("message") for e in errors] == [NO_CREDENTIALS.message]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def no_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DRCTL_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))


@pytest.mark.usefixtures("no_aws")
def test_check_without_credentials_says_so_once_and_exits_3(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(
            ["check", str(SEED), "--skip", "drill-recency", "--skip",
             "route53-data-plane-failover", "-f", "json"]
        )  # fmt: skip
    out, err = capsys.readouterr()
    assert done.value.code == 3
    assert err.count("could not check:") == 1
    assert "Unable to locate credentials" in err
    report = json.loads(out)
    assert report["findings"] == [] and len(report["notifications"]) == 1


@pytest.mark.usefixtures("no_aws")
def test_check_against_an_unreachable_endpoint_exits_3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("DRCTL_AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(SystemExit) as done:
        main(["check", str(SEED), "--skip", "drill-recency"])
    _, err = capsys.readouterr()
    assert done.value.code == 3
    assert err.startswith("could not check: sts in ap-southeast-1: cannot reach the AWS endpoint")

"""The plan's `probes:` section: availability probe options and the three canary kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.plan.test_broken_plans import BASE

from drctl.errors import PlanError
from drctl.measure.probes import expand
from drctl.plan.load import load_plan
from drctl.plan.probes import DynamoDbCanary, MySqlCanary, PostgresCanary, Probes, S3Canary

PROBES = """\
probes:
  availability:
    url: https://shop.example.com/orders
    method: POST
    expect: [2xx]
    body_match: '"status": *"written"'
    headers: {Authorization: "Bearer ${SHOP_TOKEN}"}
    nameservers: [10.0.0.2]
  canary:
"""


def _load(tmp_path: Path, canary: str) -> Probes:
    path = tmp_path / "plan.yaml"
    path.write_text(BASE + PROBES + canary, encoding="utf-8")
    return load_plan(path).probes


@pytest.mark.parametrize(
    ("canary", "kind"),
    [
        ("    {kind: dynamodb, target: sessions}\n", DynamoDbCanary),
        ("    {kind: postgres, dsn: 'host=a', dr_dsn: 'host=b ${PW}'}\n", PostgresCanary),
        ("    {kind: s3, target: assets, dr_target: assets-dr, prefix: canary/}\n", S3Canary),
        (
            "    {kind: mysql, dsn: 'mysql://c:${PW}@a:3306/app', dr_dsn: 'mysql://c@b/app'}\n",
            MySqlCanary,
        ),
    ],
)
def test_each_canary_kind_loads_with_the_availability_options(
    tmp_path: Path, canary: str, kind: type
) -> None:
    probes = _load(tmp_path, canary)
    assert isinstance(probes.canary, kind)
    availability = probes.availability
    assert availability is not None
    assert availability.method == "POST" and availability.expect == ["2xx"]
    assert str(availability.nameservers[0]) == "10.0.0.2"


def test_a_postgres_canary_without_its_dr_side_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as info:
        _load(tmp_path, "    {kind: postgres, dsn: 'host=a'}\n")
    assert "dr_dsn" in info.value.message
    assert info.value.where.startswith(f"{tmp_path / 'plan.yaml'}:")


def test_a_mysql_canary_dsn_that_is_no_mysql_url_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as info:
        _load(tmp_path, "    {kind: mysql, dsn: 'host=a', dr_dsn: 'mysql://c@b/app'}\n")
    assert "mysql://USER:PASSWORD@HOST:PORT/DATABASE" in info.value.message
    assert info.value.where.startswith(f"{tmp_path / 'plan.yaml'}:")


def test_a_body_match_that_is_no_regular_expression_is_refused(tmp_path: Path) -> None:
    text = PROBES.replace("""'"status": *"written"'""", "'(unclosed'")
    path = tmp_path / "plan.yaml"
    path.write_text(BASE + text + "    {kind: dynamodb, target: t}\n", encoding="utf-8")
    with pytest.raises(PlanError, match="body_match is not a regular expression"):
        load_plan(path)


def test_credentials_come_from_the_environment_and_a_missing_one_says_which(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOP_TOKEN", "s3cr3t")
    assert expand("Bearer ${SHOP_TOKEN}", "probes.availability.headers.Authorization") == (
        "Bearer s3cr3t"
    )
    monkeypatch.delenv("SHOP_TOKEN")
    with pytest.raises(PlanError) as info:
        expand("Bearer ${SHOP_TOKEN}", "probes.availability.headers.Authorization")
    assert info.value.message == (
        "probes.availability.headers.Authorization names ${SHOP_TOKEN}, which is not set"
    )
    assert "export SHOP_TOKEN" in info.value.hint

"""`drctl init` writes a valid starter for any regions and kinds; docs/plan.md is generated and fresh."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drctl.cli import main
from drctl.plan.load import load_plan
from drctl.plan.model import Strategy
from drctl.plan.reference import plan_reference
from drctl.plan.regions import AWS_REGIONS
from drctl.plan.resources import RESOURCE_KINDS
from drctl.plan.starter import STARTER_KINDS, short_region

DOC = Path(__file__).resolve().parents[2] / "docs" / "plan.md"


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(list(Strategy)),
    st.lists(st.sampled_from(sorted(AWS_REGIONS)), min_size=2, max_size=2, unique=True),
    st.lists(st.sampled_from(STARTER_KINDS), min_size=1, unique=True),
)
def test_init_writes_a_valid_plan_for_any_regions_and_kinds(
    strategy: Strategy, regions: list[str], kinds: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "plan.yaml"
        args = ["init", "--strategy", strategy.value, "-o", str(target)]
        args += ["--primary", regions[0], "--secondary", regions[1], "--resources", ",".join(kinds)]
        with pytest.raises(SystemExit) as done:
            main(args)
        assert done.value.code in (0, None)
        plan = load_plan(target)
    assert (plan.regions.primary, plan.regions.secondary) == tuple(regions)
    assert [r.kind for r in plan.resources] == kinds


def test_init_names_an_unknown_kind_and_guesses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["init", "--resources", "eks,s3-replication", "-o", str(tmp_path / "p.yaml")])
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert "unknown resource kind `eks`" in err and "did you mean `eks-cluster`?" in err


def test_short_region_names_follow_aws() -> None:
    assert [short_region(r) for r in ("ap-northeast-1", "us-east-1", "eu-central-2")] == [
        "apne1",
        "use1",
        "euc2",
    ]


def test_the_plan_reference_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == plan_reference(), (
        "docs/plan.md is stale: run `drctl schema --format markdown > docs/plan.md`"
    )


def test_the_reference_documents_every_resource_kind_with_an_example() -> None:
    text = plan_reference()
    for kind in RESOURCE_KINDS:
        assert f"### `{kind}`" in text
    for kind in STARTER_KINDS:
        section = text.split(f"### `{kind}`", 1)[1].split("\n### ", 1)[0]
        assert f"- kind: {kind}" in section

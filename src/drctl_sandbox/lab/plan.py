"""The lab's plan: `examples/lab.yaml` with the running lab's ports and data directories filled in.

`drctl lab up` writes it to `<lab root>/plan.yaml`, so `drctl compile` and `drctl run` work on
the lab like on any estate (the failback runbook can rebuild the old primary from there).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from drctl.plan.load import load_plan
from drctl.plan.model import Plan
from drctl.plan.resources import PostgresReplica, PostgresServer
from drctl_sandbox.lab.servers import Lab

LAB_PLAN = Path(__file__).resolve().parents[3] / "examples" / "lab.yaml"
PLAN_FILE = "plan.yaml"


def lab_plan(lab: Lab, template: Path = LAB_PLAN) -> Plan:
    """The template plan with its postgres-replica resource pointing at `lab`'s servers."""
    plan = load_plan(template)
    resources = [_fill(r, lab) if isinstance(r, PostgresReplica) else r for r in plan.resources]
    return plan.model_copy(update={"resources": resources})


def _fill(res: PostgresReplica, lab: Lab) -> PostgresReplica:
    primary, standby = lab.primary, lab.standby
    return res.model_copy(
        update={
            "primary": PostgresServer(region=primary.region, dsn=primary.dsn),
            "standby": PostgresServer(region=standby.region, dsn=standby.dsn),
            "synchronous": lab.state.synchronous,
            "data_dirs": {s.region: str(s.data_dir) for s in (primary, standby)},
            "bin_dir": str(lab.state.bin_dir),
        }
    )


def write_plan(lab: Lab, template: Path = LAB_PLAN) -> Path:
    """Write the lab's plan beside its servers and return the path."""
    plan = lab_plan(lab, template)
    path = lab.state.root / PLAN_FILE
    data = plan.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    header = f"# Written by `drctl lab up` from {template.name}; regenerated on every `lab up`.\n"
    path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path

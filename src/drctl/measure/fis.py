"""`FisInjector`: start an AWS FIS experiment as a run's failure, and stop it if the run fails.

The experiment's `startTime` (from `GetExperiment`) is the failure instant; its id and
state go into the run's measuring state. `--inject fis:TEMPLATE_ID` on `drctl run` uses it.
Source: [StartExperiment](https://docs.aws.amazon.com/fis/latest/APIReference/API_StartExperiment.html),
[StopExperiment](https://docs.aws.amazon.com/fis/latest/APIReference/API_StopExperiment.html).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from drctl.errors import PlanError
from drctl.measure.injector import Injection
from drctl.providers.aws.clients import AwsClients, aws_errors

PREFIX = "fis:"


class FisInjector:
    """Runs one experiment of `template_id` in `region`."""

    def __init__(self, clients: AwsClients, region: str, template_id: str, token: str) -> None:
        self.client: Any = clients.client("fis", region)
        self.region, self.template_id, self.token = region, template_id, token
        self.experiment_id: str | None = None

    @classmethod
    def reattach(
        cls, clients: AwsClients, reference: dict[str, str], region: str
    ) -> FisInjector | None:
        """The injector of a resumed run, bound to its recorded experiment (none is started).

        `reference` is the run's journaled injection; `region` is used when it names none
        (runs recorded before `fis_region` was kept). None when no experiment was recorded.
        """
        experiment = reference.get("fis_experiment_id")
        if not experiment:
            return None
        region = reference.get("fis_region") or region
        injector = cls(clients, region, reference.get("fis_template_id", ""), token="")
        injector.experiment_id = experiment
        return injector

    def inject(self) -> Injection:
        where = f"FIS experiment template {self.template_id}"
        with aws_errors(where, self.region):
            started = self.client.start_experiment(
                experimentTemplateId=self.template_id, clientToken=self.token
            )["experiment"]
            self.experiment_id = started["id"]
            found = self.client.get_experiment(id=self.experiment_id)["experiment"]
        at = found.get("startTime") or started.get("startTime") or datetime.now(UTC)
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        state = found.get("state", {}).get("status", "")
        return Injection(
            at=at,
            detail=f"AWS FIS experiment {self.experiment_id} of template {self.template_id} ({state})",
            reference={"fis_template_id": self.template_id, "fis_region": self.region,
                       "fis_experiment_id": str(self.experiment_id), "fis_state": state},
        )  # fmt: skip

    def stop(self, reason: str) -> dict[str, str]:
        if self.experiment_id is None:
            return {}
        with aws_errors(f"FIS experiment {self.experiment_id}", self.region):
            stopped = self.client.stop_experiment(id=self.experiment_id)["experiment"]
        return {"fis_state": stopped.get("state", {}).get("status", ""), "fis_stopped": reason}


def fis_template(spec: str) -> str:
    """The template id of `--inject fis:TEMPLATE_ID`; anything else is a clear error."""
    if not spec.startswith(PREFIX) or not spec[len(PREFIX) :]:
        raise PlanError(
            f"--inject {spec!r} is not an injector drctl knows",
            hint="use --inject fis:EXPERIMENT_TEMPLATE_ID (an AWS FIS experiment template)",
        )
    return spec[len(PREFIX) :]

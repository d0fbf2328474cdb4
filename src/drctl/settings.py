"""drctl settings from the environment (prefix `DRCTL_`), and where the state directory is."""

from __future__ import annotations

import getpass
import socket
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

STATE_DIR = ".drctl"


def find_home(start: Path | None = None) -> Path:
    """The nearest `.drctl/` in `start` (default: the working directory) or above it, like `.git`.

    When there is none, `.drctl` in `start`: the first command that writes state creates it there.
    """
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / STATE_DIR).is_dir():
            return directory / STATE_DIR
    return here / STATE_DIR if start is not None else Path(STATE_DIR)


class Settings(BaseSettings):
    """Where state lives and how drctl identifies itself; every field is `DRCTL_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="DRCTL_", extra="ignore")

    home: Path = Field(default_factory=find_home)
    """`DRCTL_HOME`, else the nearest `.drctl/` from the working directory up (see `find_home`)."""
    database_url: str = ""
    executor_id: str = ""
    aws_endpoint_url: str = ""
    dns_servers: list[str] = []
    """Authoritative name servers (`host[:port]`) to verify DNS with; empty: the zone's NS.
    An availability probe whose plan names no `nameservers` resolves through them too."""
    sandbox_control_url: str = ""
    """`DRCTL_SANDBOX_CONTROL_URL`: the control port of a running `drctl sandbox up`
    (`sandbox status --env` exports it); a run reads the failure instant of its faults there."""
    aws_profile: str = ""
    aws_role_arn: str = ""
    """`DRCTL_AWS_ROLE_ARN`: a role to assume (once per run and region, refreshed before it
    expires) in the regions the plan's `aws.roles` gives no role."""
    aws_external_id: str = ""
    """`DRCTL_AWS_EXTERNAL_ID`: the external id the role's trust policy requires (sts:ExternalId)."""
    actor: str = ""
    cloudtrail_wait: float = 0.0
    """`DRCTL_CLOUDTRAIL_WAIT`: seconds a finished run waits for CloudTrail to deliver the
    events of its writes before capturing them into its store (AWS: typically minutes)."""
    time_scale: float = Field(default=1.0, gt=0, le=1)
    """`DRCTL_TIME_SCALE`: wall seconds per AWS second when running against a scaled sandbox
    (`drctl sandbox up --time-scale 0.02` exports it); 1 against AWS."""
    notify_webhook_url: str = ""
    """`DRCTL_NOTIFY_WEBHOOK_URL`: the dashboard posts a JSON event here (approvals, failures, overdue drills)."""
    notify_slack_url: str = ""
    """`DRCTL_NOTIFY_SLACK_URL`: a Slack incoming webhook for the same notifications (a secret)."""
    dashboard_url: str = ""
    """`DRCTL_DASHBOARD_URL`: the dashboard's public address, for links in notifications."""

    def state_database_url(self) -> str:
        """The run-state database: `DRCTL_DATABASE_URL`, else SQLite under `home`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'drctl.sqlite').resolve()}"

    def acting_user(self) -> str:
        """Who is acting when `--as` is not given: `DRCTL_ACTOR`, else the OS user."""
        return self.actor or getpass.getuser()

    def host_executor_id(self) -> str:
        """A stable executor id for this host unless one is set."""
        return self.executor_id or f"drctl-{socket.gethostname()}"

"""Values a rendered file needs that the plan does not hold (account id, health check ids, Git URL).

Unknown values are written as `${NAME}` placeholders, ready for `envsubst`; `drctl iac render
--live` fills the AWS ones from the live estate instead.
"""

from __future__ import annotations

import re
from typing import Literal

from drctl.model import Strict

Role = Literal["primary", "secondary"]


def env_name(*parts: str) -> str:
    """`my-app-dns`, `primary` → `MY_APP_DNS_PRIMARY`: a name envsubst accepts."""
    return re.sub(r"[^A-Z0-9]+", "_", "_".join(parts).upper()).strip("_")


class RenderContext(Strict):
    """Deployment facts outside the plan; each unset one renders as a placeholder."""

    account_id: str | None = None
    health_check_ids: dict[str, str] = {}
    hosted_zone_ids: dict[str, str] = {}
    """Hosted zone name (as the plan gives it) → its id, when `--live` read it."""
    set_identifiers: dict[str, str] = {}
    signing_key_arn: str | None = None
    """The ARN of `audit.signing_key` given as an alias or key id, when `--live` read it."""
    unresolved: dict[str, str] = {}
    """`--live` only: placeholder → why the live estate could not fill it."""
    git_repo_url: str | None = None
    git_revision: str = "main"

    def account(self) -> str:
        """The AWS account id, or `${AWS_ACCOUNT_ID}`."""
        return self.account_id or "${AWS_ACCOUNT_ID}"

    def health_check_id(self, resource: str, role: Role) -> str:
        """The id of a failover resource's health check, or `${<RESOURCE>_<ROLE>_HEALTH_CHECK_ID}`."""
        key = health_check_key(resource, role)
        return self.health_check_ids.get(key) or "${" + env_name(key, "health-check-id") + "}"

    def set_identifier(self, resource: str, role: Role) -> str | None:
        """The live record's SetIdentifier, when `--live` read it."""
        return self.set_identifiers.get(health_check_key(resource, role))

    def repo_url(self) -> str:
        """The Git repository holding the manifests, or `${GIT_REPO_URL}`."""
        return self.git_repo_url or "${GIT_REPO_URL}"


def health_check_key(resource: str, role: Role) -> str:
    """The key of a health check id in `RenderContext.health_check_ids`: `<resource>/<role>`."""
    return f"{resource}/{role}"

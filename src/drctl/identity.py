"""Who acted: a verified identity (AWS caller, OS account, dashboard token) plus a display label.

`--as NAME` is only the label. Deciding whether two actors are one person (the two-person
rule, `drctl.engine.approvals.problem_with`) uses what was verified: the AWS caller ARN
from `sts:GetCallerIdentity` when credentials exist, else the OS user and host; the
dashboard passes `Identity(kind="dashboard", id=<token name>)`.
"""

from __future__ import annotations

import fnmatch
import getpass
import hashlib
import os
import socket
import time
from typing import TYPE_CHECKING, Literal

from drctl.model import Frozen

if TYPE_CHECKING:
    from drctl.settings import Settings

IdentityKind = Literal["aws", "os", "dashboard"]


class Identity(Frozen):
    """One actor: `kind:id` is verified, `label` is what they called themselves."""

    kind: IdentityKind
    id: str
    label: str = ""
    os_user: str = ""
    host: str = ""

    @property
    def key(self) -> str:
        """The normalised identity (case-folded; IAM names are case-insensitive)."""
        return f"{self.kind}:{self.id}".casefold()

    @property
    def name(self) -> str:
        """The verified short name: IAM user or role session, OS user, dashboard token name."""
        if self.kind == "aws":
            return self.id.rsplit("/", 1)[-1]
        if self.kind == "os":
            return self.os_user or self.id.split("@", 1)[0]
        return self.id

    @property
    def display(self) -> str:
        """`label (kind:id)` for reports and messages."""
        shown = self.label or self.name
        return f"{shown} ({self.kind}:{self.id})"

    def matches(self, pattern: str) -> bool:
        """Whether a plan's approver entry names this identity.

        `arn:...` entries are IAM ARN patterns (`*` wildcards), `dashboard:NAME` and
        `os:USER@HOST` name those kinds, a bare name is the verified short name (never the label).
        """
        lowered = pattern.casefold()
        if lowered.startswith("arn:"):
            return self.kind == "aws" and fnmatch.fnmatchcase(self.id.casefold(), lowered)
        for kind in ("dashboard", "os", "aws"):
            if lowered.startswith(f"{kind}:"):
                return self.key == lowered or (
                    self.kind == kind and self.name.casefold() == lowered[len(kind) + 1 :]
                )
        return self.name.casefold() == lowered


def same_person(a: Identity, b: Identity) -> bool:
    """Whether two verified identities are one person.

    Two AWS callers are one person when their ARNs are; otherwise one OS account on one
    host is one person whatever labels or credentials it used; dashboard tokens by name.
    """
    if a.key == b.key:
        return True
    if a.kind == b.kind == "aws":
        return False
    if a.os_user and b.os_user:
        return (a.os_user.casefold(), a.host.casefold()) == (
            b.os_user.casefold(),
            b.host.casefold(),
        )
    return False


def dashboard_identity(token_name: str, label: str = "") -> Identity:
    """The identity of a dashboard user: the name of the token they authenticated with."""
    return Identity(kind="dashboard", id=token_name, label=label or token_name)


def os_identity(label: str = "") -> Identity:
    """This process's OS account on this host."""
    user, host = getpass.getuser(), socket.gethostname()
    return Identity(kind="os", id=f"{user}@{host}", label=label or user, os_user=user, host=host)


def local_identity(settings: Settings, label: str = "") -> Identity:
    """Who runs this process: the AWS caller when credentials work, else the OS account."""
    local = os_identity(label)
    arn = caller_arn(settings)
    if arn is None:
        return local
    return local.model_copy(update={"kind": "aws", "id": arn})


_CALLER_TTL = 300.0
"""Seconds a caller lookup is reused: one `start_run` each was an STS round trip (or a boto3
session, ~10 ms) per run; credentials that change in the environment are a new lookup."""
_CREDENTIAL_ENV = (
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SESSION_TOKEN",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
)
_callers: dict[tuple[str | None, ...], tuple[float, str | None]] = {}


def caller_arn(settings: Settings) -> str | None:
    """`sts:GetCallerIdentity`'s ARN, or None without usable credentials (never raises).

    Remembered for `_CALLER_TTL` seconds per profile, endpoint and credential environment.
    """
    key = (
        settings.aws_profile,
        settings.aws_endpoint_url,
        *(_digest(os.environ.get(name)) for name in _CREDENTIAL_ENV),
    )
    now = time.monotonic()
    found = _callers.get(key)
    if found is None or now - found[0] > _CALLER_TTL:
        found = (now, _lookup_caller_arn(settings))
        _callers[key] = found
    return found[1]


def _digest(value: str | None) -> str | None:
    """Credentials are compared by digest: the cache keeps no secret."""
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


def _lookup_caller_arn(settings: Settings) -> str | None:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.Session(profile_name=settings.aws_profile or None)
    if session.get_credentials() is None:
        return None
    region = session.region_name or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = settings.aws_endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    config = Config(retries={"total_max_attempts": 2}, connect_timeout=3, read_timeout=5)
    try:
        sts = session.client("sts", region_name=region, endpoint_url=endpoint, config=config)
        arn = sts.get_caller_identity()["Arn"]
    except (BotoCoreError, ClientError):
        return None
    return str(arn)

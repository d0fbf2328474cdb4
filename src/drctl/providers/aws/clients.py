"""One AWS session factory for every provider, and the one place botocore errors become drctl errors."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from drctl.errors import (
    ConfigError,
    CouldNotCheck,
    NotFoundError,
    ProviderError,
    StateError,
    ThrottledError,
)
from drctl.plan.aws import AwsRole
from drctl.providers import intents
from drctl.providers.aws.assume import RoleChoice, assumed_session, choose_role
from drctl.settings import Settings

if TYPE_CHECKING:
    import boto3
    from botocore.exceptions import ClientError

# boto3 and botocore are imported where a client is made or an error translated, not at import
# time: `drctl --help` and `drctl validate` never talk to AWS and should not pay ~0.5 s for it.

_NOT_FOUND_SUFFIXES = ("NotFound", "NotFoundFault", "NotFoundException", "NotFoundError")
_NOT_FOUND = {
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchVersion",
    "404",
    "NoSuchHostedZone",
    "NoSuchHealthCheck",
    "NoSuchChange",
    "ReplicationConfigurationNotFoundError",
    "ParameterNotFound",
    "DBInstanceNotFound",
    "DBClusterNotFoundFault",
    "GlobalClusterNotFoundFault",
}
_STATE = {
    "InvalidRequestException",
    "ResourceInUseException",
    "IncorrectState",
    "InvalidParameterCombination",
    "OperationNotPermittedOnReplica",
    "InvalidChangeBatch",
}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "SlowDown",
    "PriorRequestNotComplete",
    "ServiceUnavailable",
    "InternalError",
    "InternalFailure",
}
_HINTS = {
    "GlobalClusterNotFoundFault": "check the global cluster identifier with `aws rds describe-global-clusters`",
    "DBClusterNotFoundFault": "check the cluster identifier and region with `aws rds describe-db-clusters --region <region>`",
    "InvalidGlobalClusterStateFault": "wait until the global cluster is `available` and the target is a member, then retry",
    "InvalidDBClusterStateFault": "wait until the cluster is `available`, then retry",
    "InvalidDBInstanceState": "wait until the instance is `available`, then retry",
    "NoSuchHostedZone": "check the hosted zone name or id with `aws route53 list-hosted-zones`",
    "NoSuchHealthCheck": "check the health check id with `aws route53 list-health-checks`",
    "ResourceNotFoundException": "check the name and region; the resource may not be replicated there yet",
    "NoSuchBucket": "check the bucket name and region with `aws s3api list-buckets`",
    "AccessDenied": "grant the drctl role the permission named in the message",
    "AccessDeniedException": "grant the drctl role the permission named in the message",
    "UnrecognizedClientException": "check the AWS credentials or profile drctl uses",
    "ExpiredToken": "refresh the AWS credentials (sso login or a new session)",
}
_THROTTLE_HINT = (
    "AWS kept throttling or failing; retry later or lower concurrency (the step is safe to repeat)"
)
_NOT_FOUND_HINT = "check the name and the region; the plan may point at the wrong one"
_STATE_HINT = "wait until the resource reaches a stable state, then run the step again"
_OTHER_HINT = "see the AWS error message; the step is safe to repeat once it is fixed"


def _error_class(code: str, status: int) -> type[ProviderError]:
    if code in _THROTTLED or status == 429 or status >= 500:
        return ThrottledError
    if code in _NOT_FOUND or code.endswith(_NOT_FOUND_SUFFIXES):
        return NotFoundError
    if code in _STATE or (code.startswith("Invalid") and "State" in code):
        return StateError
    return ProviderError


def _default_hint(cls: type[ProviderError]) -> str:
    return {
        ThrottledError: _THROTTLE_HINT,
        NotFoundError: _NOT_FOUND_HINT,
        StateError: _STATE_HINT,
    }.get(cls, _OTHER_HINT)


def translate(err: ClientError, resource: str, region: str) -> ProviderError:
    """The drctl error for a botocore `ClientError` about `resource` in `region`."""
    info = err.response.get("Error", {})
    code = str(info.get("Code", "Unknown"))
    status = int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    cls = _error_class(code, status)
    message = f"{err.operation_name} failed with {code}: {info.get('Message', '')}".rstrip(": ")
    return cls(
        message,
        hint=_HINTS.get(code, _default_hint(cls)),
        where=f"{resource} in {region}",
        retryable=cls is ThrottledError,
        code=code,
    )


@contextmanager
def aws_errors(resource: str, region: str) -> Iterator[None]:
    """Translate botocore errors raised inside the block into `ProviderError` subclasses."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionError,
        HTTPClientError,
        NoCredentialsError,
        ParamValidationError,
        ProfileNotFound,
    )

    where = f"{resource} in {region}"
    try:
        yield
    except ClientError as err:
        raise translate(err, resource, region) from err
    except ProfileNotFound as err:
        raise _no_profile(err) from None
    except NoCredentialsError as err:
        raise ConfigError(
            f"AWS credentials are not usable: {err}",
            hint="set AWS_PROFILE / DRCTL_AWS_PROFILE or credentials; for the sandbox run `drctl sandbox up`",
            where=where,
        ) from err
    except ParamValidationError as err:
        raise ProviderError(
            f"invalid request parameters: {err}",
            hint=_OTHER_HINT,
            where=where,
            code="ParamValidation",
        ) from err
    except (
        ConnectionError,
        HTTPClientError,
    ) as err:  # HTTPClientError: read timeouts, retryable too
        raise ProviderError(
            f"cannot reach the AWS endpoint: {err}",
            hint="check network access to the region's endpoint (or DRCTL_AWS_ENDPOINT_URL)",
            where=where,
            retryable=True,
            code=type(err).__name__,
        ) from err
    except BotoCoreError as err:
        raise ProviderError(
            str(err), hint=_OTHER_HINT, where=where, code=type(err).__name__
        ) from err


PROBE_TIMEOUT = 3.0
"""Seconds a reachability probe of another region waits to connect, and for the answer."""


def _no_profile(err: Exception) -> CouldNotCheck:
    return CouldNotCheck(
        f"AWS profile not usable: {err}",
        hint="list profiles with `aws configure list-profiles`, then set AWS_PROFILE or "
        "DRCTL_AWS_PROFILE to one of them",
        where="AWS config (~/.aws/config)",
    )


def _keep_ip_endpoint(client: Any, endpoint_url: str | None) -> None:
    """S3 Control puts the account id in front of the endpoint's host (`123….s3-control…`);
    in front of an IP address (the sandbox) that name cannot resolve, so take it off again."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(endpoint_url or "").hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return

    def strip(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        if parts.hostname and parts.hostname.endswith("." + host):
            request.url = request.url.replace(parts.hostname, host, 1)

    client.meta.events.register("before-send.s3-control", strip)


class AwsClients:
    """boto3 clients per (service, region) from one session: profile, role, endpoint, adaptive retries.

    `roles` are the plan's `aws.roles`: `assume` decides which role a region's clients act
    as, and each (role, region) is assumed once per factory. `max_attempts` counts every
    attempt of one call, the first included (botocore's `total_max_attempts`); throttling
    and 5xx answers are retried with botocore's backoff.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        roles: Sequence[AwsRole] = (),
        session: boto3.Session | None = None,
        max_attempts: int = 8,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ) -> None:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ProfileNotFound

        self._settings = settings
        self._roles = tuple(roles)
        try:
            self._base = session or boto3.Session(profile_name=settings.aws_profile or None)
        except ProfileNotFound as err:
            raise _no_profile(err) from None
        self._config = Config(
            retries={"mode": "adaptive", "total_max_attempts": max_attempts},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
        self._sessions: dict[tuple[RoleChoice, str], boto3.Session] = {}
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.RLock()  # boto3 sessions are not thread-safe; clients are

    def for_probing(self) -> AwsClients:
        """Clients for asking whether a possibly failed region answers: one attempt, short
        timeouts, so a region whose endpoints hang costs seconds, not eight 30 s reads."""
        probing = AwsClients(
            self._settings,
            roles=self._roles,
            session=self._base,
            max_attempts=1,
            connect_timeout=PROBE_TIMEOUT,
            read_timeout=PROBE_TIMEOUT,
        )
        probing._sessions, probing._lock = self._sessions, self._lock  # roles assumed once
        return probing

    @property
    def endpoint_url(self) -> str | None:
        """The endpoint override (sandbox), else None so botocore resolves AWS's endpoints."""
        return self._settings.aws_endpoint_url or None

    def client(self, service: str, region: str) -> Any:
        """A cached client for `service` in `region` (thread-safe: steps share one factory)."""
        with self._lock:
            return self._client(service, region)

    def _client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            session = self._session_for(region)
            with aws_errors(f"{service} client", region):
                self._clients[key] = session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url, config=self._config
                )
            intents.hook(self._clients[key], region)
            _keep_ip_endpoint(self._clients[key], self.endpoint_url)
        return self._clients[key]

    def client_at(self, service: str, region: str, endpoint_url: str, attempts: int = 2) -> Any:
        """A cached client for one given endpoint (ARC cluster endpoints), with few retries:
        callers rotate to the next endpoint instead of waiting on a dead one."""

        key = (service, f"{region}@{endpoint_url}")
        with self._lock:
            return self._client_at(service, key, region, endpoint_url, attempts)

    def _client_at(
        self, service: str, key: tuple[str, str], region: str, endpoint_url: str, attempts: int
    ) -> Any:
        from botocore.config import Config

        if key not in self._clients:
            config = self._config.merge(
                Config(retries={"mode": "standard", "total_max_attempts": attempts})
            )
            with aws_errors(f"{service} client", region):
                self._clients[key] = self._session_for(region).client(
                    service, region_name=region, endpoint_url=endpoint_url, config=config
                )
            intents.hook(self._clients[key], region)
        return self._clients[key]

    def _session_for(self, region: str) -> boto3.Session:
        choice = choose_role(region, self._roles, self._settings)
        if choice is None:
            return self._base
        key = (choice, region)
        if key not in self._sessions:
            endpoint = self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
            self._sessions[key] = assumed_session(
                self._base, choice, region, endpoint, self._config
            )
        return self._sessions[key]

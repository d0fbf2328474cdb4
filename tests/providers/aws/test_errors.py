"""botocore errors become drctl errors once: class, code, retryable, where and hint."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from drctl.errors import ConfigError, NotFoundError, ProviderError, StateError, ThrottledError
from drctl.providers.aws.clients import aws_errors


def client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "details"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "FailoverGlobalCluster")


@pytest.mark.parametrize(
    ("code", "status", "cls", "retryable"),
    [
        ("GlobalClusterNotFoundFault", 404, NotFoundError, False),
        ("ResourceNotFoundException", 400, NotFoundError, False),
        ("InvalidGlobalClusterStateFault", 400, StateError, False),
        ("InvalidDBClusterStateFault", 400, StateError, False),
        ("Throttling", 400, ThrottledError, True),
        ("ThrottlingException", 400, ThrottledError, True),
        ("SomethingNew", 503, ThrottledError, True),
        ("AccessDenied", 403, ProviderError, False),
    ],
)
def test_client_errors_map_to_the_drctl_error_tree(
    code: str, status: int, cls: type, retryable: bool
) -> None:
    with pytest.raises(ProviderError) as err, aws_errors("global cluster gdb", "ap-southeast-1"):
        raise client_error(code, status)

    assert type(err.value) is cls
    assert (err.value.code, err.value.retryable) == (code, retryable)
    assert err.value.where == "global cluster gdb in ap-southeast-1"
    assert err.value.message == f"FailoverGlobalCluster failed with {code}: details"
    assert err.value.hint


def test_unreachable_endpoint_is_a_retryable_provider_error() -> None:
    with pytest.raises(ProviderError) as err, aws_errors("DB cluster app", "ap-northeast-1"):
        raise EndpointConnectionError(endpoint_url="https://rds.ap-northeast-1.amazonaws.com")

    assert (err.value.code, err.value.retryable) == ("EndpointConnectionError", True)


def test_a_read_timeout_is_a_retryable_provider_error() -> None:
    with pytest.raises(ProviderError) as err, aws_errors("table sessions", "ap-northeast-1"):
        raise ReadTimeoutError(endpoint_url="https://dynamodb.ap-northeast-1.amazonaws.com")

    assert (err.value.code, err.value.retryable) == ("ReadTimeoutError", True)


def test_missing_credentials_are_a_config_error_with_a_hint() -> None:
    with pytest.raises(ConfigError) as err, aws_errors("DB cluster app", "ap-northeast-1"):
        raise NoCredentialsError()

    assert "AWS_PROFILE" in err.value.hint

"""Redaction of realistic provider payloads: by key, by pattern, and by remembered value."""

from __future__ import annotations

import json

import pytest
from pydantic import JsonValue
from tests.audit import secrets_fixture as fx

from drctl.audit.redact import REDACTED, Redactor, SecretRegistry, is_secret_key


def _text(value: JsonValue) -> str:
    return json.dumps(value)


@pytest.fixture
def redactor() -> Redactor:
    return Redactor(SecretRegistry())


def test_get_secret_value_hides_the_secret_string_and_keeps_its_metadata(
    redactor: Redactor,
) -> None:
    clean = redactor.redact(fx.GET_SECRET_VALUE)
    assert isinstance(clean, dict)
    assert clean["SecretString"] == REDACTED
    assert clean["Name"] == "prod/db"
    assert clean["ARN"] == fx.GET_SECRET_VALUE["ARN"]
    assert clean["VersionId"] == fx.GET_SECRET_VALUE["VersionId"]


def test_a_secret_seen_once_is_scrubbed_wherever_it_appears_later(redactor: Redactor) -> None:
    redactor.redact(fx.GET_SECRET_VALUE)
    later = redactor.redact({"stdout": f"app connected using {fx.SECRET_JSON_PASSWORD} ok"})
    assert later == {"stdout": f"app connected using {REDACTED} ok"}


def test_values_registered_from_secrets_manager_are_scrubbed_in_free_text(
    redactor: Redactor,
) -> None:
    redactor.remember(fx.PLAIN_SECRET_VALUE)
    assert redactor.redact_text(f"value={fx.PLAIN_SECRET_VALUE}!") == f"value={REDACTED}!"


def test_master_user_password_in_create_params_is_hidden_but_the_flag_kept(
    redactor: Redactor,
) -> None:
    clean = redactor.redact(fx.CREATE_DB_CLUSTER_PARAMS)
    assert isinstance(clean, dict)
    assert clean["MasterUserPassword"] == REDACTED
    assert clean["ManageMasterUserPassword"] is False
    assert clean["MasterUsername"] == "postgres"


def test_master_user_secret_keeps_its_arn_and_status(redactor: Redactor) -> None:
    assert redactor.redact(fx.DESCRIBE_DB_CLUSTERS) == fx.DESCRIBE_DB_CLUSTERS


def test_sts_credentials_are_hidden_and_expiration_kept(redactor: Redactor) -> None:
    clean = redactor.redact(fx.ASSUME_ROLE)
    assert clean == {
        "Credentials": {
            "AccessKeyId": REDACTED,
            "SecretAccessKey": REDACTED,
            "SessionToken": REDACTED,
            "Expiration": "2026-05-01T01:00:00+00:00",
        },
        "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/drctl/drctl"},
    }


def test_shell_output_loses_url_passwords_keys_and_bearer_tokens(redactor: Redactor) -> None:
    clean = redactor.redact(fx.SHELL_OUTPUT)
    assert isinstance(clean, dict)
    assert (
        clean["command"] == f"psql postgresql://app:{REDACTED}@db.internal:5432/shop -c 'select 1'"
    )
    assert clean["stdout"] == (
        f"export AWS_ACCESS_KEY_ID={REDACTED}\nexport AWS_SECRET_ACCESS_KEY={REDACTED}\n"
        f"connected with password={REDACTED}\n"
    )
    assert (
        clean["stderr"] == f"curl -H 'Authorization: Bearer {REDACTED}' https://kube.internal/api"
    )
    assert clean["exit_code"] == 0


def test_presigned_url_keeps_its_path_and_loses_credential_and_signature(
    redactor: Redactor,
) -> None:
    clean = redactor.redact(fx.HTTP_STEP)
    assert isinstance(clean, dict)
    url = str(clean["url"])
    assert url.startswith("https://evidence-bucket.s3.ap-northeast-1.amazonaws.com/report.html?")
    assert f"X-Amz-Signature={REDACTED}" in url and f"X-Amz-Credential={REDACTED}" in url
    assert "X-Amz-Expires=3600" in url
    assert clean["headers"] == {"Authorization": REDACTED, "Accept": "application/json"}


def test_pem_private_keys_and_api_keys_in_text_are_removed(redactor: Redactor) -> None:
    clean = _text(redactor.redact(fx.KUBE_SECRET))
    assert fx.PEM_BODY not in clean and fx.API_TOKEN not in clean
    assert '"namespace": "shop"' in clean


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("password", True), ("MasterUserPassword", True), ("SecretString", True),
        ("SecretBinary", True), ("api_key", True), ("private_key", True), ("Authorization", True),
        ("Credentials", True), ("client_secret", True), ("x-auth-token", True), ("SessionToken", True),
        ("SecretId", False), ("SecretArn", False), ("AccessKeyId", False), ("KmsKeyId", False),
        ("SecretName", False), ("Name", False), ("TokenExpiration", False), ("status", False),
    ],
)  # fmt: skip
def test_secret_like_keys(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_every_fixture_secret_is_gone_from_every_fixture_payload(redactor: Redactor) -> None:
    payloads = [fx.GET_SECRET_VALUE, fx.CREATE_DB_CLUSTER_PARAMS, fx.ASSUME_ROLE,
                fx.SHELL_OUTPUT, fx.HTTP_STEP, fx.KUBE_SECRET]  # fmt: skip
    text = _text([redactor.redact(p) for p in payloads])
    leaked = [s for s in fx.ALL if s in text and s != fx.PLAIN_SECRET_VALUE]
    assert leaked == []


def test_innocent_text_is_left_alone(redactor: Redactor) -> None:
    text = "promoted shop-aurora-dr in ap-southeast-1 after 42s; NextToken handling ok; see https://example.com/a?b=c"
    assert redactor.redact_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "no ArgoCD token: environment variable ARGOCD_AUTH_TOKEN is not set",
            "no ArgoCD token: environment variable ARGOCD_AUTH_TOKEN is not set",
        ),
        ("secret: rotation is disabled", "secret: rotation is disabled"),
        ("password: hunter2 was rejected", f"password: {REDACTED} was rejected"),
        ("token: eyJhbGciOiJIUzI1NiJ9abc", f"token: {REDACTED}"),
        ("api_key: CorrectHorse", f"api_key: {REDACTED}"),
        ("token: abcdefghijklmnopqrstuvwxyz", f"token: {REDACTED}"),
        ("password=word", f"password={REDACTED}"),
    ],
)
def test_redaction_hides_values_not_the_words_of_a_message(
    redactor: Redactor, text: str, expected: str
) -> None:
    assert redactor.redact_text(text) == expected


def test_secret_names_under_a_secrets_key_stay_visible(redactor: Redactor) -> None:
    payload: dict[str, JsonValue] = {
        "secrets": ["prod/db", "prod/api-key"],
        "secret": "s3cr3t-value-1",
        "tokens": {"github": "ghp_x"},
    }
    assert redactor.redact_payload(payload) == {
        "secrets": ["prod/db", "prod/api-key"],
        "secret": REDACTED,
        "tokens": {"github": REDACTED},
    }


def test_a_known_secret_value_is_redacted_even_in_a_plain_sentence(redactor: Redactor) -> None:
    redactor.remember("plainwords")
    assert redactor.redact_text("password: plainwords") == f"password: {REDACTED}"

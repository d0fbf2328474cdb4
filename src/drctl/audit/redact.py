"""Redaction before anything is written: secret-like keys, credential patterns, and known secret values.

Three layers, applied to every string of a payload:

1. values under secret-like keys (`password`, `SecretString`, `token`, `Authorization`,
   `Credentials`, ...) become `[REDACTED]` and are remembered, so the same value is
   scrubbed wherever else it appears (e.g. echoed by a shell step); a `secrets:` list
   holds secret *names* and stays visible;
2. patterns: AWS access key ids, secret access keys next to their label, bearer/basic
   credentials, passwords in URLs, presigned-URL signatures, JWTs, PEM private keys,
   `password=...` pairs in free text, and `password: v` in prose only when `v` looks like a
   value (digits, symbols, mixed case or 20+ characters), so words stay readable;
3. a registry of values known to be secret: whoever reads a secret (the Secrets Manager
   provider) calls `remember_secret(value)` and no audit write carries it afterwards.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable

from pydantic import JsonValue

REDACTED = "[REDACTED]"
_MIN_REMEMBERED = 4
_MIN_AUTO_REMEMBERED = 8

_SECRET_KEY = re.compile(
    r"password|passwd|passphrase|secret|token|apikey|privatekey|credential|authorization"
    r"|cookie|signature|accesskey|sessionkey|connectionstring|dsn$|^pwd$|^auth$"
)
# Under a secret key these name metadata, not the secret itself (SecretId, SecretArn, KmsKeyId...).
_METADATA_SUFFIX = (
    "arn", "arns", "id", "ids", "name", "names", "status", "type", "date", "time",
    "expiration", "region", "version", "stages", "enabled", "count", "length", "url",
)  # fmt: skip

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?-----END \1PRIVATE KEY-----", re.S),
        REDACTED,
    ),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]*):([^@\s/]+)@"), rf"\1:{REDACTED}@"),
    (
        re.compile(
            r"(?i)([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|signature"
            r"|awsaccesskeyid|access_token|id_token|token|password|secret|api_key|apikey|sig)=)"
            r"[^&\s#\"']+"
        ),
        rf"\1{REDACTED}",
    ),
    (
        re.compile(
            r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token|digest)?\s*)"
            r"(?!\[REDACTED\])[^\s\"',;]+"
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1{REDACTED}"),
    (re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"), REDACTED),
    (
        re.compile(r"(?i)(secret_?access_?key[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{40}"),
        rf"\1{REDACTED}",
    ),
    (
        re.compile(
            r"(?i)([\"']?\b(?:password|passwd|pwd|passphrase|secret|client_secret|api_?key"
            r"|access_token|refresh_token|auth_token|token)"
            r"(?:\s*=\s*[\"']?|[\"']\s*:\s*[\"']?))"  # `key=v`, `"key": v`; not ARNs' `secret:`
            r"(?!\[REDACTED\])[^\s\"',;&}]+"
        ),
        rf"\1{REDACTED}",
    ),
    (
        # `password: v` in prose: only a value-shaped v (a digit or symbol, mixed case, or long),
        # so "no ArgoCD token: environment variable ..." keeps its words.
        re.compile(
            r"(?i)(\b(?:password|passwd|pwd|passphrase|secret|client_secret|api_?key"
            r"|access_token|refresh_token|auth_token|token)[\"']?\s*:\s+[\"']?)"
            r"(?!\[REDACTED\])(?-i:(?=[^\s\"',;&}]*(?:[^A-Za-z\s\"',;&}]|[a-z][A-Z])|[^\s\"',;&}]{20}))"
            r"[^\s\"',;&}]+"
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+"), REDACTED),
    (re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_\w{30,}"), REDACTED),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), REDACTED),
)


class SecretRegistry:
    """Values known to be secret; thread-safe, process-wide by default (`known_secrets`)."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def remember(self, value: str, *, min_length: int = _MIN_REMEMBERED) -> None:
        """Treat `value` (and, for a JSON object, its secret-keyed members) as secret from now on."""
        if len(value) < min_length:
            return
        with self._lock:
            self._values.add(value)
            self._pattern = None
        for member in _secret_members(value):
            self.remember(member, min_length=min_length)

    def clear(self) -> None:
        """Forget every value (between tests, or between runs in a long-lived process)."""
        with self._lock:
            self._values.clear()
            self._pattern = None

    def scrub(self, text: str) -> str:
        """Replace every remembered value inside `text`."""
        pattern = self._compiled()
        return pattern.sub(REDACTED, text) if pattern else text

    def _compiled(self) -> re.Pattern[str] | None:
        with self._lock:
            if self._pattern is None and self._values:
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
            return self._pattern


known_secrets = SecretRegistry()


def remember_secret(value: str) -> None:
    """Register a value read from a secret store so no audit record, export or report carries it."""
    known_secrets.remember(value)


class Redactor:
    """Removes secrets from payloads and text before they are stored or exported."""

    def __init__(self, registry: SecretRegistry | None = None) -> None:
        self.registry = registry or known_secrets

    def remember(self, value: str) -> None:
        """Treat `value` as secret wherever it appears from now on."""
        self.registry.remember(value)

    def redact(self, value: JsonValue) -> JsonValue:
        """A copy of a JSON value with every secret replaced by `[REDACTED]`."""
        if isinstance(value, dict):
            return {key: self._member(key, item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.redact(item) for item in value]
        if isinstance(value, str):
            return self.redact_text(value)
        return value

    def redact_payload(self, payload: dict[str, JsonValue]) -> dict[str, JsonValue]:
        """`redact` for a JSON object."""
        return {key: self._member(key, item) for key, item in payload.items()}

    def redact_text(self, text: str) -> str:
        """Free text with remembered secrets and credential patterns replaced."""
        text = self.registry.scrub(text)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def _member(self, key: str, value: JsonValue) -> JsonValue:
        if not is_secret_key(key):
            return self.redact(value)
        if _normal(key) in _NAME_LISTS and _names(value):
            return self.redact(value)  # `secrets: [app/db, app/api]` lists names, not values
        return self._hide(value)

    def _hide(self, value: JsonValue) -> JsonValue:
        if isinstance(value, dict):
            return {
                k: self.redact(v) if _is_metadata(k) else self._hide(v) for k, v in value.items()
            }
        if isinstance(value, list):
            return [self._hide(item) for item in value]
        if isinstance(value, str):
            self.registry.remember(value, min_length=_MIN_AUTO_REMEMBERED)
            return REDACTED if value else value
        if isinstance(value, bool) or value is None:
            return value
        return REDACTED


_NAME_LISTS = frozenset({"secrets", "secretnames", "tokens"})


def _names(value: JsonValue) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    )


def is_secret_key(key: str) -> bool:
    """Whether a key's value is a secret (`MasterUserPassword`: yes; `SecretId`: no)."""
    return bool(_SECRET_KEY.search(_normal(key))) and not _is_metadata(key)


def _is_metadata(key: str) -> bool:
    return _normal(key).endswith(_METADATA_SUFFIX)


def _normal(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _secret_members(value: str) -> Iterable[str]:
    """String members under secret-like keys of a JSON object string (e.g. a SecretString)."""
    if not value.startswith("{"):
        return []
    try:
        data = json.loads(value)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    return [v for k, v in data.items() if isinstance(v, str) and is_secret_key(k)]

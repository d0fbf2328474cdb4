"""Could the checks read the estate at all? Credentials and endpoint problems, told apart from findings.

A missing credential or an unreachable endpoint says nothing about the resources behind it,
so it becomes one `Notification` (exit 3), not an error finding per rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from drctl.checks.model import Notification
from drctl.errors import ConfigError, DrctlError, ProviderError

Reach = Callable[[], Notification | None]
"""Checks, before the live rules run, that the estate can be read; None when it can."""

# botocore's error class names (`ProviderError.code` of a transport failure) and the AWS
# error codes of refused credentials.
_TRANSPORT_SUFFIXES = ("ConnectionError", "TimeoutError", "ClosedError", "SSLError")
_REFUSED_CREDENTIALS = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "AuthFailure",
    }
)


def is_could_not_check(exc: DrctlError) -> bool:
    """Whether `exc` means drctl could not read anything, rather than found something wrong."""
    if isinstance(exc, ConfigError):
        return True
    if isinstance(exc, ProviderError):
        return exc.code.endswith(_TRANSPORT_SUFFIXES) or exc.code in _REFUSED_CREDENTIALS
    return False


def notification(exc: DrctlError, rules: Iterable[str] = ()) -> Notification:
    """The notification for a could-not-check error met by `rules`."""
    return Notification(message=exc.message, hint=exc.hint, where=exc.where, rules=sorted(rules))


def merge(notes: Iterable[Notification]) -> list[Notification]:
    """One notification per distinct problem, naming every rule that met it."""
    merged: dict[tuple[str, str], Notification] = {}
    for note in notes:
        key = (note.message, note.where)
        seen = merged.get(key)
        rules = set(note.rules) | set(seen.rules if seen else ())
        merged[key] = note.model_copy(update={"rules": sorted(rules)})
    return list(merged.values())


def sts_reach(call: Callable[[], object]) -> Reach:
    """A `Reach` that makes one cheap AWS call (STS GetCallerIdentity needs no permission)."""

    def reach() -> Notification | None:
        try:
            call()
        except DrctlError as exc:
            if is_could_not_check(exc):
                return notification(exc)
            raise
        return None

    return reach

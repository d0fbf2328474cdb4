"""Errors drctl raises for people to read, and the exit codes they map to.

DrctlError                  message + hint + where; exit 2 unless said otherwise
├── PlanError               a plan or another input file cannot be read or is invalid (exit 2)
├── RunbookError            a runbook or one of its steps is invalid (exit 2)
├── ConfigError             settings, environment or a missing tool (exit 2)
├── ProviderError           the outside world said no (AWS, Kubernetes, HTTP); carries `retryable`
│   ├── NotFoundError       the resource does not exist where the plan says
│   ├── StateError          the resource is in a state that forbids the action
│   └── ThrottledError      throttling or 5xx that outlived the retry budget
├── RunError                a run failed, was rejected or cancelled (exit 1)
├── CheckFailed             readiness checks found error-level findings (exit 1)
└── CouldNotCheck           checks could not read the estate: no credentials, unreachable endpoint (exit 3)

Exit codes, the same for every command: 0 ready or succeeded, 1 findings or a failed run,
2 bad input, 3 could not check.
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_COULD_NOT_CHECK = 3


class DrctlError(Exception):
    """An error with a message for people, a hint on what to do, and where it happened.

    An invalid file raises one error for all its problems: `problems` lists every one (the
    first is the error itself), each with its own `where` and `hint`.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        where: str = "",
        problems: Sequence[DrctlError] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.where = where
        self.problems: tuple[DrctlError, ...] = tuple(problems) or (self,)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class PlanError(DrctlError):
    """A plan (or another input file drctl reads) cannot be read or is invalid."""


class RunbookError(DrctlError):
    """A runbook is invalid: a step, its `needs`, its action kind, params or `${steps...}` references."""


class ConfigError(DrctlError):
    """Settings, environment or an external tool is missing or wrong."""


class ProviderError(DrctlError):
    """A provider call failed; `retryable` says whether trying again may help."""

    exit_code = EXIT_FAILED

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        where: str = "",
        retryable: bool = False,
        code: str = "",
    ) -> None:
        super().__init__(message, hint=hint, where=where)
        self.retryable = retryable
        self.code = code


class NotFoundError(ProviderError):
    """The resource does not exist in the region or account the plan names."""


class StateError(ProviderError):
    """The resource exists but its state forbids the requested action."""


class ThrottledError(ProviderError):
    """Throttling or a server error that outlived the retry budget."""


class RunError(DrctlError):
    """A run failed, was rejected or was cancelled."""

    exit_code = EXIT_FAILED


class CheckFailed(DrctlError):
    """Readiness checks found at least one error-level finding."""

    exit_code = EXIT_FAILED


class CouldNotCheck(DrctlError):
    """The estate could not be read at all: credentials missing or refused, endpoint unreachable."""

    exit_code = EXIT_COULD_NOT_CHECK

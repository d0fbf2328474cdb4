"""`shell`: run a command, output captured; `creates` / `unless` guards make it idempotent."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import ClassVar

from drctl.errors import ProviderError
from drctl.plan.durations import Duration
from drctl.providers.base import ActionContext, Outcome, Output, Params

MAX_OUTPUT = 4000


def command_text(command: str | list[str]) -> str:
    """The command as one line, for people."""
    return command if isinstance(command, str) else shlex.join(command)


def truncate(text: str, limit: int = MAX_OUTPUT) -> str:
    """Keep the tail of long output (the end says what went wrong)."""
    return text if len(text) <= limit else f"…{text[-limit:]}"


class ShellParams(Params):
    """A command (a string runs through `sh -c`, a list runs directly) and its guards."""

    command: str | list[str]
    env: dict[str, str] = {}
    cwd: str | None = None
    timeout: Duration | None = None
    creates: str | None = None
    unless: str | list[str] | None = None


class Shell:
    """Runs a command unless its guard says the work is already done."""

    kind: ClassVar[str] = "shell"
    Params: ClassVar[type[ShellParams]] = ShellParams
    events: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: ShellParams, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx
        self._process: subprocess.Popen[str] | None = None

    def describe(self) -> str:
        guard = ""
        if self.params.creates:
            guard = f" unless {self.params.creates} exists"
        elif self.params.unless:
            guard = f" unless `{command_text(self.params.unless)}` succeeds"
        return f"run `{command_text(self.params.command)}`{guard}"

    def current(self) -> Output:
        return {"done": self._done()}

    def apply(self) -> Outcome:
        if self._done():
            return Outcome(changed=False, detail="already done (guard satisfied); not run again")
        code, out, err = self.run_command(self.params.command)
        output: Output = {"exit_code": code, "stdout": truncate(out), "stderr": truncate(err)}
        if code != 0:
            last = (err.strip() or out.strip()).splitlines()[-1:] or [""]
            raise ProviderError(
                f"`{command_text(self.params.command)}` exited with status {code}: {last[0]}",
                hint="run the command by hand to see the full output; fix it, then `drctl runs resume`",
                code=f"exit {code}",
                retryable=True,
            )
        return Outcome(changed=True, detail=f"exit {code}", output=output)

    def verify(self, deadline: float) -> Output:
        if self.params.creates and not self._path(self.params.creates).exists():
            raise ProviderError(
                f"the command succeeded but did not create {self.params.creates}",
                hint="make the command create the path named in `creates`, or drop `creates`",
                code="NotCreated",
            )
        return {}

    def cancel(self) -> None:
        """Kill the running command (its step ran out of time or was cancelled)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def _done(self) -> bool:
        if self.params.creates:
            return self._path(self.params.creates).exists()
        if self.params.unless:
            return self.run_command(self.params.unless)[0] == 0
        return False

    def _path(self, text: str) -> Path:
        path = Path(text)
        return path if path.is_absolute() or not self.params.cwd else Path(self.params.cwd) / path

    def run_command(self, command: str | list[str]) -> tuple[int, str, str]:
        """Run a command with this action's env, cwd and timeout: (status, stdout, stderr)."""
        timeout = self.params.timeout.total_seconds() if self.params.timeout else None
        try:
            self._process = subprocess.Popen(
                command,
                shell=isinstance(command, str),
                env={**os.environ, **self.params.env},
                cwd=self.params.cwd,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            out, err = self._process.communicate(timeout=timeout)
        except FileNotFoundError as exc:
            raise ProviderError(
                f"command not found: {exc.filename}",
                hint="install it or use its full path",
                code="NotFound",
            ) from exc
        except subprocess.TimeoutExpired as exc:
            self.cancel()
            raise ProviderError(
                f"`{command_text(command)}` ran longer than {timeout:g}s and was killed",
                hint="raise the shell `timeout` or find out why the command hangs",
                code="Timeout",
                retryable=True,
            ) from exc
        return self._process.returncode, out, err

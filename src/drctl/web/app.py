"""`create_app`: the dashboard's FastAPI application over one state database.

`Dashboard` holds what every request shares: settings, the token store, the session
codec, the served plans, the `Engine` that starts runs (its events go to the audit trail
first, then to the notifier, as the CLI's go to the audit trail), the readiness cache.
Runs started here execute in this process, on the engine's own threads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from drctl.audit.log import AuditLog
from drctl.audit.subscriber import AuditSubscriber
from drctl.clock import Clock, SystemClock
from drctl.engine import Engine
from drctl.errors import DrctlError, PlanError
from drctl.identity import Identity as Person
from drctl.measure import MeasuredRun
from drctl.measure.probes import expand
from drctl.measure.store import MeasureStore
from drctl.plan.durations import format_duration
from drctl.plan.load import load_plan
from drctl.plan.model import Plan, Scenario
from drctl.report.calendar import DrillStatus, drill_program, schedules_for
from drctl.runbook.compile import compile_plan
from drctl.runbook.io import load_runbook
from drctl.runbook.model import Runbook
from drctl.runbook.run import Run
from drctl.settings import Settings
from drctl.web.auth import NotSignedIn
from drctl.web.notify import Notifier, Receivers, Target
from drctl.web.readiness import ReadinessCache
from drctl.web.session import SessionCodec
from drctl.web.tokens import TokenStore
from drctl.web.views import pending_gates
from drctl.yamlsource import read_yaml

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
HISTORY = 500
WATCH_WINDOW = 100


class ServedPlan:
    """A plan file the dashboard shows and starts runs of, or a runbook file (one scenario)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data, _ = read_yaml(path)
        self.plan: Plan | None = None
        self.runbook: Runbook | None = None
        if isinstance(data, dict) and data.get("kind") == "DRPlan":
            self.plan = load_plan(path)
        else:
            self.runbook = load_runbook(path)

    @property
    def name(self) -> str:
        return self.plan.metadata.name if self.plan else self.runbook.name  # type: ignore[union-attr]

    @property
    def scenarios(self) -> list[str]:
        if self.plan is None:
            return [self.runbook.scenario] if self.runbook else []
        enabled = [str(s) for s, p in self.plan.scenarios.items() if p.enabled]
        return enabled or [str(s) for s in Scenario]

    def runbook_for(self, scenario: str) -> Runbook:
        """The runbook to run: the plan compiled for `scenario`, or the runbook file itself."""
        if scenario not in self.scenarios:
            raise DrctlError(
                f"`{self.name}` has no enabled scenario `{scenario}`",
                hint=f"choose one of: {', '.join(self.scenarios)}",
            )
        if self.plan is None:
            assert self.runbook is not None
            return self.runbook
        return compile_plan(self.plan, Scenario(scenario))


class Dashboard:
    """Everything the routes share."""

    def __init__(
        self,
        settings: Settings,
        plans: Sequence[Path] = (),
        *,
        clock: Clock | None = None,
        live: bool = False,
        check_every: timedelta = timedelta(minutes=30),
        receivers: Receivers | None = None,
        session_key: bytes | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.tokens = TokenStore(settings.state_database_url(), clock=self.clock)
        self.codec = SessionCodec(session_key)
        self.plans = {p.name: p for p in (ServedPlan(path) for path in plans)}
        chosen = receivers or Receivers.from_settings(settings)
        chosen = replace(chosen, targets=chosen.targets + plan_targets(self.plans.values()))
        self.notifier = Notifier(chosen, plan_of=self._plan_of)
        self.audit = AuditLog.from_settings(settings, clock=self.clock)
        self.engine = Engine(
            settings,
            clock=self.clock,
            subscribers=[AuditSubscriber(log=self.audit), self.notifier],
        )
        self.measure = MeasureStore(self.engine.journal.engine)
        self._stop = threading.Event()
        self.readiness = ReadinessCache(
            settings, self.runs, self.clock, live=live, every=check_every
        )

    def _plan_of(self, run_id: str) -> str | None:
        found = self.engine.journal.get_run(run_id)
        return found.plan if found is not None else None

    def runs(self, limit: int = HISTORY) -> list[Run]:
        """The newest runs first."""
        return self.engine.list_runs(limit)

    def run(self, run_id: str) -> Run:
        """One run; 404 when there is none."""
        if self.engine.journal.get_run(run_id) is None:
            raise HTTPException(404, f"no run `{run_id}`")
        return self.engine.status(run_id)

    def served(self, name: str) -> ServedPlan:
        found = self.plans.get(name)
        if found is None:
            raise HTTPException(404, f"no plan `{name}` is served")
        return found

    def start(self, plan_name: str, scenario: str, actor: str | Person) -> str:
        """Start a run of the plan's `scenario` (or of the runbook) here, measured as
        `drctl run` measures it: the plan's probes run beside it until RTO/RPO are recorded."""
        served = self.served(plan_name)
        runbook = served.runbook_for(scenario)
        measured = MeasuredRun(self.engine)
        run_id = measured.start(runbook, served.plan, actor=actor)
        self._measure_until_done(measured, run_id)
        return run_id

    def resume(self, run_id: str, actor: str | Person, reason: str) -> None:
        """Resume a run here; a measured one gets its probes back in a new session."""
        measured = MeasuredRun(self.engine)
        measured.resume(run_id, actor, reason)
        self._measure_until_done(measured, run_id)

    def _measure_until_done(self, measured: MeasuredRun, run_id: str) -> None:
        """Record RTO/RPO in the background once the run ends (a request does not wait)."""
        if not measured.measuring:
            return

        def finish() -> None:
            try:
                measured.finish(run_id)
            except Exception:
                if self._stop.is_set():  # shutting down: a resume or recover measures it
                    return
                log.exception("measuring run %s failed; its samples stay journaled", run_id)

        threading.Thread(target=finish, daemon=True, name=f"drctl-measure-{run_id}").start()

    def drill_program(self) -> list[DrillStatus]:
        """The drill program of the served plans (or of every plan in the history), today."""
        runs = self.runs(100_000)
        program = drill_program(
            schedules_for([p.plan for p in self.plans.values() if p.plan], runs),
            runs,
            self.clock.now().astimezone(UTC).date(),
        )
        self.notifier.drills(program)
        return program

    def watch(self, every: timedelta) -> threading.Thread:
        """Notify, every `every`, failed runs and pending gates of runs started anywhere."""
        recent = self.runs(WATCH_WINDOW)
        self.notifier.mark_seen(recent, _pending_steps)

        def loop() -> None:
            while not self._stop.wait(every.total_seconds()):
                self.notifier.runs(self.runs(WATCH_WINDOW), _pending_steps)
                self.drill_program()

        thread = threading.Thread(target=loop, daemon=True, name="drctl-watch")
        thread.start()
        return thread

    def now(self) -> datetime:
        return self.clock.now()

    def close(self) -> None:
        self._stop.set()
        self.notifier.close()
        self.tokens.dispose()
        self.audit.dispose()


def plan_targets(served: Iterable[ServedPlan]) -> tuple[Target, ...]:
    """The served plans' `notifications.webhooks`, each URL's `${VAR}` expanded now (a bad one
    stops `drctl serve` with the file and field named, before anything is notified)."""
    targets = []
    for p in served:
        if p.plan is None:
            continue
        for i, hook in enumerate(p.plan.notifications.webhooks):
            where = f"{p.path}: notifications.webhooks[{i}].url"
            url = expand(hook.url, where)
            if not url.startswith(("http://", "https://")):
                raise PlanError(
                    f"{where} is not an http(s) URL once expanded",
                    hint="write https://... (or ${VAR} naming a variable that holds one)",
                )
            targets.append(Target(p.plan.metadata.name, url, hook.format, tuple(hook.events)))
    return tuple(targets)


def _pending_steps(run: Run) -> list[str]:
    return [g.step_id for g in pending_gates(run)]


def create_app(dashboard: Dashboard) -> FastAPI:
    """The dashboard application; pages are server-rendered, the JSON API is under /api."""
    from drctl.web.routes import actions, admin, api, live, login, metrics, pages

    app = FastAPI(
        title="drctl dashboard",
        version="1",
        docs_url=None,
        redoc_url=None,
        description="Runs, approvals, readiness and drills of drctl's state database.",
    )
    app.state.dashboard = dashboard
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["duration"] = format_duration
    templates.env.filters["when"] = _when
    app.state.templates = templates
    for module in (login, pages, live, actions, admin, api, metrics):
        app.include_router(module.router)
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DrctlError, _drctl_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    return app


def _when(value: datetime | None) -> str:
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if value is not None else "–"


def _wants_json(request: Request) -> bool:
    return (
        request.url.path.startswith(("/api", "/metrics"))
        or "bearer" in request.headers.get("authorization", "").lower()
    )


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    if _wants_json(request) or request.method != "GET":
        return JSONResponse({"detail": "sign in: a bearer token or a session"}, 401)
    return RedirectResponse(f"/login?next={request.url.path}", 303)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_page(request, exc.status_code, str(exc.detail))


async def _drctl_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DrctlError)
    return error_page(request, 409, exc.message, exc.hint)


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return error_page(request, 422, problems or "invalid request")


def error_page(request: Request, status: int, message: str, hint: str = "") -> Response:
    """The error as JSON for the API, else as a page."""
    if _wants_json(request):
        return JSONResponse({"detail": message, "hint": hint}, status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": message, "hint": hint, "who": None},
        status_code=status,
    )

"""Notifications: approvals pending, runs failed and drills overdue, to a webhook and to Slack.

`Notifier` is an engine `Subscriber` of the dashboard's runs. It never fails a step: the
posts go through a queue to one sender thread, and a receiver that is down is logged
(without its URL: a Slack webhook URL is a secret) and skipped. Runs of other processes
(the CLI, another dashboard on the same PostgreSQL) are seen by `Dashboard.watch`, which
reads the journal; each notice goes out once whichever path saw it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import httpx

from drctl.engine.events import RunEvent
from drctl.model import Frozen
from drctl.report.calendar import DrillStatus
from drctl.runbook.run import Run
from drctl.settings import Settings

log = logging.getLogger("drctl.web.notify")
_STOP = object()


class Notice(Frozen):
    """What a notification says (the generic webhook's JSON body)."""

    event: str
    text: str
    run_id: str | None = None
    step_id: str | None = None
    plan: str | None = None
    scenario: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Target:
    """A plan's webhook (`notifications.webhooks`), its URL expanded: told of that plan only."""

    plan: str
    url: str
    format: str = "generic"
    events: tuple[str, ...] = ("approval.requested", "run.failed", "drill.overdue")

    def wants(self, notice: Notice) -> bool:
        return notice.event in self.events and notice.plan == self.plan


@dataclass(frozen=True)
class Receivers:
    """Where notices go; empty strings are not configured."""

    webhook_url: str = ""
    slack_url: str = ""
    dashboard_url: str = ""
    targets: tuple[Target, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings) -> Receivers:
        return cls(settings.notify_webhook_url, settings.notify_slack_url, settings.dashboard_url)

    @property
    def any(self) -> bool:
        return bool(self.webhook_url or self.slack_url or self.targets)


def notice_for(event: RunEvent, dashboard_url: str = "") -> Notice | None:
    """The notice an engine event gives rise to, if any."""
    link = f"{dashboard_url.rstrip('/')}/runs/{event.run_id}" if dashboard_url else None
    if event.kind == "approval.requested":
        required = event.data.get("required", 1)
        text = f"run {event.run_id}: step {event.step_id} waits for {required} approval(s)"
    elif event.kind == "run.failed":
        text = f"run {event.run_id} failed"
    else:
        return None
    return Notice(event=event.kind, text=text, run_id=event.run_id, step_id=event.step_id, url=link)


def overdue_notice(status: DrillStatus) -> Notice:
    """The notice for one overdue drill."""
    due = f"was due {status.next_due}" if status.next_due else "has never succeeded"
    return Notice(
        event="drill.overdue",
        text=f"drill overdue: {status.plan} {status.scenario} {due}",
        plan=status.plan,
        scenario=status.scenario,
    )


def slack_body(notice: Notice) -> dict[str, str]:
    """Slack incoming-webhook JSON: a `text` field, with the link when there is one."""
    return {"text": notice.text + (f" <{notice.url}|open>" if notice.url else "")}


class Notifier:
    """Posts notices to the configured receivers from one background thread."""

    def __init__(
        self,
        receivers: Receivers,
        *,
        timeout: float = 5.0,
        plan_of: Callable[[str], str | None] = lambda run_id: None,
    ) -> None:
        self.receivers = receivers
        self.plan_of = plan_of
        self._queue: queue.Queue[object] = queue.Queue()
        self._client = httpx.Client(timeout=timeout)
        self._sent_overdue: set[tuple[str, str, str]] = set()
        self._seen: set[tuple[str, str | None, str | None]] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._send_all, daemon=True, name="drctl-notify")
        self._thread.start()

    def __call__(self, event: RunEvent) -> None:
        notice = notice_for(event, self.receivers.dashboard_url)
        if notice is not None:
            self.send(notice.model_copy(update={"plan": self.plan_of(event.run_id)}))

    def drills(self, program: list[DrillStatus]) -> None:
        """Notify each overdue drill once per due date."""
        for status in program:
            key = (status.plan, status.scenario, str(status.next_due))
            if status.overdue and key not in self._sent_overdue:
                self._sent_overdue.add(key)
                self.send(overdue_notice(status))

    def runs(self, runs: Sequence[Run], pending: Callable[[Run], list[str]]) -> None:
        """Notify what the journal shows that no event told this process (runs of other processes).

        `pending` names a run's steps waiting for approval. Each notice goes out once,
        whichever path saw it first.
        """
        link = self.receivers.dashboard_url.rstrip("/")
        for run in runs:
            url = f"{link}/runs/{run.id}" if link else None
            if run.status == "failed":
                self.send(
                    Notice(
                        event="run.failed",
                        text=f"run {run.id} failed",
                        run_id=run.id,
                        plan=run.plan,
                        url=url,
                    )
                )
            for step_id in pending(run):
                text = f"run {run.id}: step {step_id} waits for approval"
                self.send(
                    Notice(
                        event="approval.requested",
                        text=text,
                        run_id=run.id,
                        step_id=step_id,
                        plan=run.plan,
                        url=url,
                    )
                )

    def mark_seen(self, runs: Sequence[Run], pending: Callable[[Run], list[str]]) -> None:
        """Remember what is already true at start, so a restart does not notify old news."""
        for run in runs:
            if run.status == "failed":
                self._seen.add(("run.failed", run.id, None))
            for step_id in pending(run):
                self._seen.add(("approval.requested", run.id, step_id))

    def send(self, notice: Notice) -> None:
        key = (notice.event, notice.run_id, notice.step_id)
        with self._lock:
            if notice.run_id is not None and key in self._seen:
                return
            self._seen.add(key)
        if self.receivers.any:
            self._queue.put(notice)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued notice was posted (tests, shutdown)."""
        done = threading.Event()
        self._queue.put(done)
        done.wait(timeout)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(5)
        self._client.close()

    def _send_all(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            if isinstance(item, threading.Event):
                item.set()
            elif isinstance(item, Notice):
                self._post(item)

    def _post(self, notice: Notice) -> None:
        targets: list[tuple[str, str, Mapping[str, object]]] = [
            ("webhook", self.receivers.webhook_url, notice.model_dump(mode="json")),
            ("slack", self.receivers.slack_url, slack_body(notice)),
        ]
        for t in self.receivers.targets:
            if t.wants(notice):
                told = slack_body(notice) if t.format == "slack" else notice.model_dump(mode="json")
                targets.append((f"plan {t.plan} {t.format}", t.url, told))
        for name, url, body in targets:
            if not url:
                continue
            try:
                self._client.post(url, json=body).raise_for_status()
            except httpx.HTTPError as exc:
                log.warning(
                    "%s notification %s not delivered: %s", name, notice.event, type(exc).__name__
                )

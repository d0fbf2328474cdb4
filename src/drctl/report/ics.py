"""The drill program as an iCalendar file (RFC 5545, via `icalendar`): an all-day VEVENT per drill.

UIDs are stable per plan and scenario, so a calendar that subscribes to the file updates
the same event when a drill moves instead of piling up copies.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

from drctl.report.calendar import DrillStatus
from drctl.report.formats import seconds


def render_ics(program: Iterable[DrillStatus], as_of: date) -> str:
    """A VCALENDAR with a VEVENT per plan and scenario (overdue ones fall on `as_of`)."""
    calendar = Calendar()
    calendar.add("prodid", "-//drctl//drill program//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "DR drills")
    for status in program:
        calendar.add_component(_event(status, as_of))
    ical: bytes = calendar.to_ical()
    return ical.decode("utf-8")


def _event(status: DrillStatus, as_of: date) -> Event:
    day = status.next_due if status.next_due and not status.overdue else as_of
    prefix = "OVERDUE: " if status.overdue else ""
    event = Event()
    event.add("uid", f"drctl-drill-{status.plan}-{status.scenario}@drctl")
    event.add("dtstamp", datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC))
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", f"{prefix}DR drill due: {status.plan} {status.scenario}")
    event.add("description", _description(status))
    event.add("categories", ["DR drill"])
    event.add("transp", "TRANSPARENT")
    return event


def _description(status: DrillStatus) -> str:
    lines = [f"Every {status.every.days} days (drctl drills)."]
    last = status.last_run
    if last is None:
        lines.append("Never run.")
    else:
        lines.append(f"Last run {last.run_id} on {last.at:%Y-%m-%d}: {last.outcome}.")
        lines.append(f"Measured RTO {seconds(last.rto)}, RPO {seconds(last.rpo)}.")
    if status.next_due:
        lines.append(f"Due {status.next_due:%Y-%m-%d}.")
    return "\n".join(lines)

"""The drill program as an iCalendar file (RFC 5545): one all-day VEVENT per due drill.

UIDs are stable per plan and scenario, so a calendar that subscribes to the file updates
the same event when a drill moves instead of piling up copies.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from drctl.report.calendar import DrillStatus
from drctl.report.formats import seconds

CRLF = "\r\n"


def render_ics(program: Iterable[DrillStatus], as_of: date) -> str:
    """A VCALENDAR with a VEVENT per plan and scenario (overdue ones fall on `as_of`)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//drctl//drill program//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:DR drills",
    ]
    for status in program:
        lines += _event(status, as_of)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines)


def _event(status: DrillStatus, as_of: date) -> list[str]:
    day = status.next_due if status.next_due and not status.overdue else as_of
    prefix = "OVERDUE: " if status.overdue else ""
    return [
        "BEGIN:VEVENT",
        f"UID:drctl-drill-{status.plan}-{status.scenario}@drctl",
        f"DTSTAMP:{as_of:%Y%m%d}T000000Z",
        f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
        f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{escape(f'{prefix}DR drill due: {status.plan} {status.scenario}')}",
        f"DESCRIPTION:{escape(_description(status))}",
        "CATEGORIES:DR drill",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


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


def escape(text: str) -> str:
    """TEXT value escaping: backslash, semicolon, comma and newline."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74  # continuation lines start with a space
        current += char
        size += width
    parts.append(current)
    return (CRLF + " ").join(parts)

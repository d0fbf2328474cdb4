"""Inline SVG charts: the steps Gantt (a row per step) with people's actions, availability, canary.

All three share one time axis per report so the failure instant lines up across charts.
Each chart is plain SVG with `<title>` tooltips: no scripts, no external resources.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from drctl.report.evidence import Evidence, HumanEntry, StepEntry
from drctl.report.formats import duration_text
from drctl.report.i18n import Labels
from drctl.report.svg import TimeAxis, element, svg, text, title

WIDTH = 1000
LEFT = 150
MAX_LEFT = 380
RIGHT = 20
LANE_H = 26
STATUS_COLOURS = {
    "succeeded": "#2e7d32",
    "failed": "#c62828",
    "timed-out": "#c62828",
    "cancelled": "#757575",
    "skipped": "#bdbdbd",
    "running": "#1565c0",
    "waiting-approval": "#6a1b9a",
    "pending": "#e0e0e0",
}
HUMAN_COLOURS = {
    "approval": "#6a1b9a",
    "rejection": "#c62828",
    "note": "#1565c0",
    "decision": "#ef6c00",
    "problem": "#c62828",
}
FAILURE_COLOUR, RECOVERY_COLOUR = "#c62828", "#2e7d32"


def report_axis(evidence: Evidence) -> TimeAxis:
    """One time axis covering the run, its samples and everything people did.

    It starts right of the widest step name, so the Gantt's row labels are never cut.
    """
    moments: list[datetime | None] = [evidence.started_at, evidence.ended_at]
    moments += [s.started_at for s in evidence.steps] + [s.ended_at for s in evidence.steps]
    moments += [h.time for h in evidence.humans]
    moments += [s.time for s in evidence.availability.samples]
    moments += [a.time for a in evidence.canary.acks]
    left = label_column(evidence)
    return TimeAxis.spanning(moments, left, WIDTH - left - RIGHT)


def label_column(evidence: Evidence) -> float:
    """Width of the row-label column: the widest step name (wrapped to two lines), bounded."""
    widest = max((text_width(line) for s in evidence.steps for line in _wrap(s.title)), default=0)
    return min(max(LEFT, widest + 16), MAX_LEFT)


def text_width(content: str, size: float = 11) -> float:
    """Rendered width estimate: CJK and full-width characters are a full em, others ~0.58 em."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.58 for c in content)


def _wrap(content: str, limit: float = MAX_LEFT - 16) -> list[str]:
    """One line when it fits; else two, split at the space (or character) nearest the middle."""
    if text_width(content) <= limit:
        return [content]
    cut = len(content) // 2
    spaces = [i for i, c in enumerate(content) if c == " "]
    if spaces:
        cut = min(spaces, key=lambda i: abs(i - cut))
    return [content[:cut].rstrip(), content[cut:].lstrip()]


def gantt_chart(evidence: Evidence, labels: Labels, axis: TimeAxis) -> str:
    """One row per step, named by its title, with approvals and notes on the same time axis."""
    steps = sorted(
        (s for s in evidence.steps if s.started_at is not None), key=lambda s: s.started_at or 0
    ) + [s for s in evidence.steps if s.started_at is None]
    top, people_y = 10, 22
    rows_top = people_y + LANE_H
    bottom = rows_top + len(steps) * LANE_H
    parts = axis.grid(top, bottom)
    parts.append(text(8, people_y + 4, labels["human"], fill="#333"))
    parts += [_human_mark(h, axis, people_y, bottom) for h in evidence.humans]
    for row, step in enumerate(steps):
        y = rows_top + row * LANE_H
        parts.append(_row_label(step, y, axis.left - 8))
        parts.append(_bar(step, axis, y, labels))
    series = evidence.availability
    parts += _instants(axis, (top, bottom), labels, series.failure_at, series.recovered_at)
    return svg(WIDTH, bottom + 22, labels["timeline"], parts)


def _row_label(step: StepEntry, y: float, right: float) -> str:
    lines = _wrap(step.title, right - 8)
    if len(lines) == 1:
        body = text(8, y + 17, lines[0], fill="#333")
    else:
        body = text(8, y + 11, lines[0], fill="#333", font_size=10)
        body += text(8, y + 22, lines[1], fill="#333", font_size=10)
    return element("g", title(f"{step.id}: {step.title}") + body, class_="row-label")


def _bar(step: StepEntry, axis: TimeAxis, y: float, labels: Labels) -> str:
    if step.started_at is None:
        return ""
    x0 = axis.x(step.started_at)
    x1 = axis.x(step.ended_at or step.started_at)
    width = max(x1 - x0, 3.0)
    colour = STATUS_COLOURS.get(step.status, "#9e9e9e")
    took = duration_text(step.duration) if step.duration is not None else ""
    tip = f"{step.id}: {step.title} — {labels[step.status]} {took}".strip()
    rect = element(
        "rect", x=f"{x0:.1f}", y=y + 3, width=f"{width:.1f}", height=LANE_H - 6, rx=3, fill=colour
    )
    caption = ""
    if took and text_width(took) + 8 <= width:
        caption = text(x0 + 4, y + 17, took, fill="#fff")
    elif took:  # outside the bar, on whichever side has room: never cut
        after = x1 + 4 + text_width(took) <= WIDTH - 2
        x = x1 + 4 if after else x0 - 4
        caption = text(x, y + 17, took, fill="#333", text_anchor="start" if after else "end")
    return element("g", title(tip) + rect + caption, class_="step")


def _human_mark(entry: HumanEntry, axis: TimeAxis, y: float, bottom: float) -> str:
    x = axis.x(entry.time)
    colour = HUMAN_COLOURS[entry.kind]
    line = element(
        "line", x1=f"{x:.1f}", x2=f"{x:.1f}", y1=y, y2=bottom, stroke=colour, stroke_opacity=0.35
    )
    diamond = element("path", d=f"M{x:.1f} {y - 6} l6 6 l-6 6 l-6 -6 z", fill=colour, stroke="#fff")
    step = f" [{entry.step_id}]" if entry.step_id else ""
    tip = f"{entry.time:%H:%M:%S} {entry.kind} {entry.actor}{step}: {entry.text}"
    return element("g", title(tip) + line + diamond, class_="human")


def availability_chart(evidence: Evidence, labels: Labels, axis: TimeAxis) -> str:
    """Probe results over time: a green or red tick per request, failure and recovery lines."""
    series = evidence.availability
    top, y, bottom = 10, 24, 60
    parts = axis.grid(top, bottom)
    parts.append(text(8, y + 16, labels["availability"], fill="#333"))
    for sample in series.samples:
        x = axis.x(sample.time)
        colour = "#2e7d32" if sample.ok else "#c62828"
        state = labels["probe_ok"] if sample.ok else labels["probe_failed"]
        tip = f"{sample.time:%H:%M:%S.%f} {state} {sample.status or ''} {sample.served_by}"
        parts.append(
            element(
                "rect",
                title(tip.strip()),
                x=f"{x - 1:.1f}",
                y=y if sample.ok else y + 12,
                width=2.5,
                height=12 if sample.ok else 14,
                fill=colour,
            )
        )
    if not series.samples:
        parts.append(text(axis.left + 10, y + 16, labels["no_samples"], fill="#777"))
    parts += _instants(axis, (top, bottom), labels, series.failure_at, series.recovered_at)
    return svg(WIDTH, bottom + 22, labels["availability"], parts)


def canary_chart(evidence: Evidence, labels: Labels, axis: TimeAxis) -> str:
    """Acknowledged writes (sequence over time), lost ones crossed out, newest survivor ringed."""
    canary = evidence.canary
    top, bottom = 10, 130
    seqs = [a.seq for a in canary.acks] or [0]
    low, high = min(seqs), max(max(seqs), min(seqs) + 1)

    def y_of(seq: int) -> float:
        return bottom - 8 - (seq - low) / (high - low) * (bottom - top - 24)

    parts = axis.grid(top, bottom)
    parts.append(text(8, top + 14, labels["canary"], fill="#333"))
    lost = set(canary.lost)
    for ack in canary.acks:
        parts.append(_ack_mark(ack.seq, axis.x(ack.time), y_of(ack.seq), ack.seq in lost, labels))
        if ack.seq == canary.newest_surviving_seq:
            ring = element(
                "circle", cx=f"{axis.x(ack.time):.1f}", cy=f"{y_of(ack.seq):.1f}", r=7,
                fill="none", stroke="#2e7d32", stroke_width=2,
            )  # fmt: skip
            parts.append(element("g", title(f"{labels['newest_surviving']} #{ack.seq}") + ring))
    if not canary.acks:
        parts.append(text(axis.left + 10, top + 40, labels["no_samples"], fill="#777"))
    parts += _instants(axis, (top, bottom), labels, canary.failure_at, None)
    return svg(WIDTH, bottom + 22, labels["canary"], parts)


def _ack_mark(seq: int, x: float, y: float, lost: bool, labels: Labels) -> str:
    if not lost:
        dot = element("circle", cx=f"{x:.1f}", cy=f"{y:.1f}", r=2.5, fill="#1565c0")
        return element("g", title(f"{labels['acked']} #{seq}") + dot)
    cross = element(
        "path",
        d=f"M{x - 4:.1f} {y - 4:.1f} l8 8 m0 -8 l-8 8",
        stroke=FAILURE_COLOUR,
        stroke_width=2,
    )
    return element("g", title(f"{labels['acked']} #{seq}: {labels['lost']}") + cross, class_="lost")


def _instants(
    axis: TimeAxis,
    span: tuple[float, float],
    labels: Labels,
    failure_at: datetime | None,
    recovered_at: datetime | None,
) -> list[str]:
    """Failure and recovery marker lines, drawn the same way on every chart."""
    top, bottom = span
    parts: list[str] = []
    if failure_at is not None:
        parts.append(axis.marker(failure_at, top, bottom, FAILURE_COLOUR, labels["failure"]))
    if recovered_at is not None:
        parts.append(axis.marker(recovered_at, top, bottom, RECOVERY_COLOUR, labels["recovered"]))
    return parts

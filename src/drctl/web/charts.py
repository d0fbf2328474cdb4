"""The run page's probe chart: availability samples, latency and canary acks as inline SVG.

Drawn on the server from the run's measuring tables (`drctl_probe_samples`,
`drctl_measured_runs`), so the page needs no JavaScript library. What is drawn is only
times, ok/failed, HTTP status and latency: a sample's error text and the probes' URLs
are never put in the chart (they may carry credentials).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from markupsafe import Markup, escape

from drctl.measure.store import MeasureStore
from drctl.plan.durations import format_duration
from drctl.probes.measure import Ack, Sample

WIDTH, HEIGHT = 760, 230
LEFT, RIGHT, TOP = 52, 12, 26
PLOT_BOTTOM = 160  # the latency area ends here; the ack strip and the time axis are below
ACK_Y = 182
AXIS_Y = 204


@dataclass(frozen=True)
class ChartData:
    """What the chart draws, read from the store in one go."""

    samples: list[Sample]
    acks: list[Ack]
    failure_at: datetime | None
    recovered_at: datetime | None
    rto_seconds: float | None
    rpo_seconds: float | None

    @property
    def empty(self) -> bool:
        return not self.samples and not self.acks


def chart_data(store: MeasureStore, run_id: str) -> ChartData | None:
    """The run's probe data, or None when the run was never measured."""
    state = store.state(run_id)
    samples = [s for _, s in store.availability(run_id)]
    acks = [a for _, a in store.acks(run_id)]
    if state is None and not samples and not acks:
        return None
    measured = state.measured if state is not None else None
    failure_at = state.failure_at if state is not None else None
    if measured is not None and measured.failure_at is not None:
        failure_at = measured.failure_at
    return ChartData(
        samples=sorted(samples, key=lambda s: s.time),
        acks=sorted(acks, key=lambda a: a.time),
        failure_at=failure_at,
        recovered_at=measured.recovered_at if measured is not None else None,
        rto_seconds=measured.rto_seconds if measured is not None else None,
        rpo_seconds=measured.rpo_seconds if measured is not None else None,
    )


def signature(store: MeasureStore, run_id: str) -> tuple[int, str]:
    """Cheap "has the chart changed" key for the live stream: row count and measuring state."""
    state = store.state(run_id)
    return store.count(run_id), state.model_dump_json() if state is not None else ""


def probe_chart(data: ChartData | None) -> Markup:
    """The chart as an `<svg>` element (an empty string when the run was not measured)."""
    if data is None:
        return Markup("")
    times = [s.time for s in data.samples] + [a.time for a in data.acks]
    times += [t for t in (data.failure_at, data.recovered_at) if t is not None]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="probe-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" style="max-width:{WIDTH}px;background:#fff">',
        f"<title>{escape(_caption(data))}</title>",
        f'<text x="{LEFT}" y="16" font-size="12" fill="#1d2433" class="caption">'
        f"{escape(_caption(data))}</text>",
    ]
    if data.empty or not times:
        parts.append(
            f'<text x="{LEFT}" y="{PLOT_BOTTOM // 2}" font-size="12" fill="#666">'
            "no samples yet</text></svg>"
        )
        return Markup("".join(parts))
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)

    def x(t: datetime) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * (t - start).total_seconds() / span

    latencies = [s.latency_ms for s in data.samples if s.ok and s.latency_ms is not None]
    top_ms = max(latencies, default=1.0) or 1.0

    def y(ms: float) -> float:
        return PLOT_BOTTOM - (PLOT_BOTTOM - TOP) * ms / top_ms

    parts.append(
        f'<line x1="{LEFT}" y1="{PLOT_BOTTOM}" x2="{WIDTH - RIGHT}" y2="{PLOT_BOTTOM}" '
        'stroke="#cdd3db"/>'
        f'<text x="{LEFT - 4}" y="{TOP + 4}" font-size="10" text-anchor="end" fill="#666">'
        f"{top_ms:.0f} ms</text>"
        f'<text x="{LEFT - 4}" y="{PLOT_BOTTOM}" font-size="10" text-anchor="end" fill="#666">'
        "0</text>"
        f'<text x="{LEFT - 4}" y="{ACK_Y + 4}" font-size="10" text-anchor="end" fill="#666">'
        "acks</text>"
    )
    # The latency line joins runs of successful samples; it breaks where a request failed.
    runs: list[list[str]] = [[]]
    for s in data.samples:
        if s.ok and s.latency_ms is not None:
            runs[-1].append(f"{x(s.time):.1f},{y(s.latency_ms):.1f}")
        elif runs[-1]:
            runs.append([])
    for points in runs:
        if len(points) > 1:
            parts.append(
                f'<polyline class="latency" fill="none" stroke="#3584e4" stroke-width="1" '
                f'points="{" ".join(points)}"/>'
            )
    for s in data.samples:
        ms = s.latency_ms if s.ok and s.latency_ms is not None else 0.0
        kind, colour = ("ok", "#2e9d5b") if s.ok else ("fail", "#d0342c")
        status = f" HTTP {s.status}" if s.status is not None else ""
        latency = f" {s.latency_ms:.0f} ms" if s.latency_ms is not None else ""
        parts.append(
            f'<circle class="sample {kind}" cx="{x(s.time):.1f}" cy="{y(ms):.1f}" r="2.5" '
            f'fill="{colour}"><title>{_clock(s.time)} {kind}{escape(status)}{escape(latency)}'
            "</title></circle>"
        )
    for a in data.acks:
        parts.append(
            f'<line class="ack" x1="{x(a.time):.1f}" y1="{ACK_Y - 6}" x2="{x(a.time):.1f}" '
            f'y2="{ACK_Y + 6}" stroke="#6a3fb4"><title>write {a.seq} acknowledged '
            f"{_clock(a.time)}</title></line>"
        )
    for kind, when, colour in (
        ("failure", data.failure_at, "#b3261e"),
        ("recovered", data.recovered_at, "#11703a"),
    ):
        if when is None:
            continue
        parts.append(
            f'<line class="marker {kind}" x1="{x(when):.1f}" y1="{TOP}" x2="{x(when):.1f}" '
            f'y2="{ACK_Y + 8}" stroke="{colour}" stroke-dasharray="4 3"/>'
            f'<text x="{x(when) + 3:.1f}" y="{TOP + 10}" font-size="10" fill="{colour}">'
            f"{kind} {_clock(when)}</text>"
        )
    parts.append(
        f'<text x="{LEFT}" y="{AXIS_Y + 12}" font-size="10" fill="#666">{_clock(start)}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{AXIS_Y + 12}" font-size="10" fill="#666" '
        f'text-anchor="end">{_clock(end)} UTC</text></svg>'
    )
    return Markup("".join(parts))


def _caption(data: ChartData) -> str:
    ok = sum(1 for s in data.samples if s.ok)
    text = f"{len(data.samples)} availability samples ({len(data.samples) - ok} failed)"
    text += f" · {len(data.acks)} canary writes acknowledged"
    if data.rto_seconds is not None:
        text += f" · measured RTO {format_duration(timedelta(seconds=data.rto_seconds))}"
    if data.rpo_seconds is not None:
        text += f" · measured RPO {format_duration(timedelta(seconds=data.rpo_seconds))}"
    return text


def _clock(t: datetime) -> str:
    return f"{t.astimezone(UTC):%H:%M:%S}"

"""SVG building blocks for the charts: escaped elements and a time axis with readable ticks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from markupsafe import escape

_TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)
FONT = "font-family:system-ui,'Noto Sans CJK JP',sans-serif;font-size:11px"


def element(tag: str, body: str = "", **attrs: object) -> str:
    """One SVG element; attribute names use `_` for `-`, values are escaped."""
    text = " ".join(
        f'{k.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items()
    )
    opening = f"<{tag} {text}" if text else f"<{tag}"
    return f"{opening}>{body}</{tag}>" if body else f"{opening}/>"


def text(x: float, y: float, content: str, **attrs: object) -> str:
    """A text element with escaped content."""
    return element("text", str(escape(content)), x=f"{x:.1f}", y=f"{y:.1f}", **attrs)


def title(content: str) -> str:
    """A hover tooltip (works without scripts)."""
    return f"<title>{escape(content)}</title>"


def svg(width: int, height: int, label: str, parts: Iterable[str]) -> str:
    """The root element, sized for the page and labelled for screen readers."""
    body = "".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'style="{FONT}">{body}</svg>'
    )


@dataclass(frozen=True)
class TimeAxis:
    """Maps times between `start` and `end` onto x from `left` to `left + width`."""

    start: datetime
    end: datetime
    left: float
    width: float

    @classmethod
    def spanning(cls, moments: Iterable[datetime | None], left: float, width: float) -> TimeAxis:
        """An axis covering every known moment (at least one second wide)."""
        known = [m for m in moments if m is not None]
        if not known:
            known = [datetime.fromtimestamp(0).astimezone()]
        start, end = min(known), max(known)
        end = max(end, start + timedelta(seconds=1))
        pad = (end - start) * 0.02
        return cls(start - pad, end + pad, left, width)

    def x(self, moment: datetime) -> float:
        """The x coordinate of `moment`."""
        span = (self.end - self.start).total_seconds()
        return self.left + (moment - self.start).total_seconds() / span * self.width

    def ticks(self, most: int = 10) -> list[datetime]:
        """Round instants for grid lines, at most `most` of them."""
        span = (self.end - self.start).total_seconds()
        step = next((s for s in _TICK_STEPS_S if span / s <= most), _TICK_STEPS_S[-1])
        first = int(self.start.timestamp() // step + 1) * step
        found: list[datetime] = []
        moment = datetime.fromtimestamp(first, tz=self.start.tzinfo)
        while moment <= self.end:
            found.append(moment)
            moment += timedelta(seconds=step)
        return found

    def grid(self, top: float, bottom: float) -> list[str]:
        """Vertical grid lines with HH:MM:SS labels under them."""
        parts: list[str] = []
        for tick in self.ticks():
            x = self.x(tick)
            parts.append(
                element("line", x1=f"{x:.1f}", x2=f"{x:.1f}", y1=top, y2=bottom, stroke="#ddd")
            )
            label = tick.strftime("%H:%M:%S")
            parts.append(text(x, bottom + 13, label, text_anchor="middle", fill="#555"))
        return parts

    def marker(self, moment: datetime, top: float, bottom: float, colour: str, label: str) -> str:
        """A dashed vertical line with a label at its top (failure, recovery)."""
        x = self.x(moment)
        line = element(
            "line",
            x1=f"{x:.1f}",
            x2=f"{x:.1f}",
            y1=top,
            y2=bottom,
            stroke=colour,
            stroke_width=2,
            stroke_dasharray="5 3",
        )
        caption = text(x + 3, top + 10, label, fill=colour, font_weight="bold")
        return element("g", line + caption + title(f"{label} {moment.isoformat()}"))

"""Render `Evidence` as files: one self-contained HTML page, Markdown (+ SVG charts), JSON, JUnit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from enum import StrEnum

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from drctl.errors import DrctlError
from drctl.report import formats
from drctl.report.charts import (
    HUMAN_COLOURS,
    availability_chart,
    canary_chart,
    gantt_chart,
    report_axis,
)
from drctl.report.evidence import Evidence
from drctl.report.i18n import Labels, Lang, translate_detail
from drctl.report.junit import render_junit


class ReportFormat(StrEnum):
    """The files a report can be written as (`drctl report --format`)."""

    HTML = "html"
    MD = "md"
    JSON = "json"
    JUNIT = "junit"


FORMATS: tuple[str, ...] = tuple(ReportFormat)
REPORT_VERSION = 1
LEGEND_KEYS = {
    "approval": "approvals",
    "rejection": "rejections",
    "note": "notes",
    "decision": "decisions",
    "problem": "problems",
}


def report_format(name: str) -> ReportFormat:
    """The format called `name`; an unknown name is an error listing the choices."""
    try:
        return ReportFormat(name)
    except ValueError:
        raise DrctlError(
            f"unknown report format `{name}`", hint=f"choose from {', '.join(FORMATS)}"
        ) from None


def parse_formats(text: str) -> list[ReportFormat]:
    """`html,md` → the formats, in order, rejecting unknown names."""
    names = (part.strip() for part in text.split(",") if part.strip())
    chosen = list(dict.fromkeys(report_format(name) for name in names))
    if not chosen:
        raise DrctlError("no report format given", hint=f"e.g. --format {','.join(FORMATS)}")
    return chosen


def render_files(evidence: Evidence, formats_: Iterable[str], lang: Lang) -> dict[str, str]:
    """File name → content for each format (Markdown brings its charts as `.svg` files)."""
    stem = f"{evidence.run_id}"
    files: dict[str, str] = {}
    for fmt in map(report_format, formats_):
        if fmt is ReportFormat.HTML:
            files[f"{stem}.html"] = render_html(evidence, lang)
        elif fmt is ReportFormat.MD:
            files[f"{stem}.md"] = render_markdown(evidence, lang, chart_prefix=stem)
            files.update({f"{stem}-{k}.svg": v for k, v in charts(evidence, lang).items()})
        elif fmt is ReportFormat.JSON:
            files[f"{stem}.json"] = render_json(evidence)
        else:
            files[f"{stem}.junit.xml"] = render_junit(evidence)
    return files


def charts(evidence: Evidence, lang: Lang) -> dict[str, str]:
    """The three charts as SVG documents, on one shared time axis."""
    labels, axis = Labels(lang), report_axis(evidence)
    return {
        "timeline": gantt_chart(evidence, labels, axis),
        "availability": availability_chart(evidence, labels, axis),
        "canary": canary_chart(evidence, labels, axis),
    }


def render_html(evidence: Evidence, lang: Lang = "en") -> str:
    """One HTML file: inline CSS and SVG, no scripts, nothing fetched."""
    svgs = {k: Markup(v) for k, v in charts(evidence, lang).items()}  # built from escaped parts
    return _environment().get_template("report.html.j2").render(_context(evidence, lang, svgs))


def render_markdown(evidence: Evidence, lang: Lang = "en", *, chart_prefix: str = "") -> str:
    """Markdown with tables; charts are linked as `<prefix>-<chart>.svg` files beside it."""
    prefix = chart_prefix or evidence.run_id
    names = ("timeline", "availability", "canary")
    links = {name: f"{prefix}-{name}.svg" for name in names}
    return _environment().get_template("report.md.j2").render(_context(evidence, lang, links))


def render_json(evidence: Evidence) -> str:
    """The evidence as JSON (durations in ISO 8601, times in UTC), with a format version."""
    body = {"report_version": REPORT_VERSION, **evidence.model_dump(mode="json")}
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _context(evidence: Evidence, lang: Lang, charts_: Mapping[str, object]) -> dict[str, object]:
    legend = [(LEGEND_KEYS[kind], colour) for kind, colour in HUMAN_COLOURS.items()]
    context: dict[str, object] = {"e": evidence, "t": Labels(lang), "lang": lang}
    context |= {
        "charts": charts_,
        "legend": legend,
        "tr": lambda text: translate_detail(text, lang),
    }
    return context


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("drctl.report", "templates"),
        autoescape=select_autoescape(["html.j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        secs=formats.seconds,
        fsecs=formats.float_seconds,
        dur=formats.duration_text,
        when=formats.moment,
        clock=formats.clock_time,
        cell=_cell,
    )
    return env


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")

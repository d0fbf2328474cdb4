"""Write a run's report files to a directory: the one function the CLI and the demo share."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from drctl.plan.model import Plan
from drctl.report.evidence import Evidence
from drctl.report.history import EngineRuns
from drctl.report.i18n import Lang
from drctl.report.render import render_files
from drctl.report.sources import load_evidence
from drctl.settings import Settings


def write_report(
    settings: Settings,
    run_id: str,
    output: Path,
    formats: Iterable[str],
    *,
    lang: Lang = "en",
    plan: Plan | None = None,
    cloudtrail: bool = True,
) -> tuple[Evidence, list[Path]]:
    """Gather the run's evidence, render it in `formats`, write the files; return both."""
    evidence = load_evidence(
        EngineRuns(settings), run_id, settings=settings, plan=plan, cloudtrail=cloudtrail
    )
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in render_files(evidence, formats, lang).items():
        path = output / name
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return evidence, written

"""Readiness commands: `check` (static and live rules over a plan) and `rules` (what each rule checks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from drctl.checks.context import CheckContext, live_context
from drctl.checks.model import CheckReport
from drctl.checks.registry import RULES, select
from drctl.checks.render import RENDERERS, CheckFormat, print_table, render_sarif
from drctl.checks.run import DEFAULT_WORKERS, check_plan, rule_info
from drctl.checks.run import Progress as OnProgress
from drctl.checks.suppress import (
    apply_suppressions,
    baseline_yaml,
    inline_suppressions,
    load_baseline,
)
from drctl.cli.app import app
from drctl.cli.options import CheckFormatOption, JsonOption
from drctl.cli.output import OutputOption, console, data_format, err_console, print_data
from drctl.errors import EXIT_COULD_NOT_CHECK, EXIT_FAILED, EXIT_OK, ConfigError
from drctl.plan.load import declaration_lines, load_plan
from drctl.settings import Settings


@app.command()
def check(
    plan_file: Path = typer.Argument(
        ..., envvar="DRCTL_PLAN", show_envvar=True, help="Plan to check (default: $DRCTL_PLAN)."
    ),
    live: bool = typer.Option(
        True, "--live/--static", help="Also read the live estate (default), or only the plan."
    ),
    output_format: CheckFormatOption = CheckFormat.TABLE,
    only: list[str] = typer.Option([], "--only", help="Run only this rule (repeatable)."),
    skip: list[str] = typer.Option([], "--skip", help="Skip this rule (repeatable)."),
    workers: int = typer.Option(DEFAULT_WORKERS, min=1, max=64, help="Live checks run at once."),
    baseline: Path | None = typer.Option(
        None, "--baseline", help="Accept the findings listed in this baseline file."
    ),
    write_baseline: Path | None = typer.Option(
        None, "--write-baseline", help="Write the current findings to a baseline file."
    ),
    save: list[str] = typer.Option(
        [],
        "--save",
        metavar="FORMAT=FILE",
        help="Also write the report in FORMAT to FILE, e.g. sarif=drctl.sarif (repeatable).",
    ),
    push_gateway: str | None = typer.Option(
        None,
        "--push-gateway",
        envvar="DRCTL_PUSH_GATEWAY",
        help="Push the results to this Prometheus Pushgateway (job drctl-check).",
    ),
    json_out: JsonOption = False,
) -> None:
    """Check a plan's readiness; exit 1 on an error-level finding, 3 when AWS could not be read.

    Accept a finding with `# drctl: ignore[RULE] reason` on (or above) the resource's line in
    the plan, or list it in a baseline file (`--write-baseline`, then `--baseline`); suppressed
    findings are still reported, but do not fail the check.

    Live rules read AWS (or the sandbox: DRCTL_AWS_ENDPOINT_URL) and never change anything.
    No credentials or an unreachable endpoint is said once, up front (exit 3), not per rule.

    Example: drctl check examples/seed-estate.yaml --format sarif > drctl.sarif
    """
    fmt = CheckFormat.JSON if json_out else output_format
    saves = [_save_target(s) for s in save]
    plan = load_plan(plan_file)
    accepted = inline_suppressions(plan_file, declaration_lines(plan_file))
    accepted += load_baseline(baseline) if baseline is not None else []
    rules = select(only, skip, live=live)
    ctx = (
        live_context(plan, plan_file, Settings())
        if live
        else CheckContext(plan=plan, plan_path=plan_file)
    )
    with _progress(enabled=live and fmt is CheckFormat.TABLE) as on_progress:
        report = check_plan(
            rules, ctx, mode="live" if live else "static", workers=workers, progress=on_progress
        )
    report = apply_suppressions(report, accepted)
    if write_baseline is not None:
        report = _write_baseline(report, write_baseline, ctx)
    for note in report.notifications:
        where = f"{note.where}: " if note.where else ""
        err_console.print(f"[red]could not check:[/red] {escape(where + note.message)}")
        if note.hint:
            err_console.print(f"  [dim]hint:[/dim] {escape(note.hint)}")
    _print(report, fmt, plan_file)
    for save_fmt, path in saves:
        _write(path, render(report, save_fmt, plan_file))
    if push_gateway:
        from drctl.checks.push import push_report  # prometheus-client only when pushing

        push_report(report, push_gateway)
    raise typer.Exit(exit_code(report))


def _save_target(value: str) -> tuple[CheckFormat, Path]:
    name, sep, file = value.partition("=")
    formats = [f.value for f in CheckFormat if f is not CheckFormat.TABLE]
    if not sep or not file or name not in formats:
        raise typer.BadParameter(
            f"`{value}`: write FORMAT=FILE with FORMAT one of {', '.join(formats)}",
            param_hint="--save",
        )
    return CheckFormat(name), Path(file)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path}: {exc.strerror}", hint="check the path", where=str(path)
        ) from exc


def _write_baseline(report: CheckReport, path: Path, ctx: CheckContext) -> CheckReport:
    """Write every current finding to `path` and report them as accepted by it."""
    _write(path, baseline_yaml(report, ctx.clock.now().date()))
    err_console.print(f"wrote the baseline {path}: edit each reason to say why", markup=False)
    return apply_suppressions(report, load_baseline(path))


def exit_code(report: CheckReport) -> int:
    """1 when an error-level finding exists, else 3 when something could not be checked, else 0."""
    if not report.ok:
        return EXIT_FAILED
    return EXIT_OK if report.complete else EXIT_COULD_NOT_CHECK


def _print(report: CheckReport, fmt: CheckFormat, plan_file: Path) -> None:
    if fmt is CheckFormat.TABLE:
        print_table(report, console)
    else:
        typer.echo(render(report, fmt, plan_file), nl=False)


def render(report: CheckReport, fmt: CheckFormat, plan_file: Path) -> str:
    """The report in a machine format; SARIF points at the plan's lines."""
    if fmt is CheckFormat.SARIF:
        return render_sarif(report, plan_file.as_posix(), declaration_lines(plan_file))
    return RENDERERS[fmt](report)


@contextmanager
def _progress(*, enabled: bool) -> Iterator[OnProgress | None]:
    """A progress bar on stderr while live checks run, when stderr is a terminal."""
    if not (enabled and err_console.is_terminal):
        yield None
        return
    columns = (TextColumn("checking"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("checks", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@app.command(name="rules")
def rules_cmd(output: OutputOption = None, json_out: JsonOption = False) -> None:
    """List every readiness rule with its severity and rationale.

    Example: drctl rules --json
    """
    infos = [rule_info(r) for r in RULES]
    if fmt := data_format(output, json_out):
        print_data(infos, fmt)
        return
    for r in infos:
        console.print(
            f"[bold]{r.id}[/bold]  [dim]{'live' if r.live else 'static'}, {r.severity}[/dim]"
        )
        console.print(f"  {r.title}.", markup=False)
        console.print(f"  why: {r.rationale}", markup=False)
        console.print(f"  fix: {r.hint}\n", markup=False)

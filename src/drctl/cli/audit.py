"""Audit commands: `audit verify|export|sign|keygen|events`, `note`, `decide`, `problem`, `review`, `actions`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import JsonValue
from rich.table import Table

from drctl.audit.collect import ExportRequest, export_run
from drctl.audit.log import AuditLog
from drctl.audit.review import ActionItem, Review, close_action, list_actions, record_review
from drctl.audit.sign import (
    HeadSignature,
    check_signatures,
    generate_key,
    load_private_key,
    load_public_key,
    sign_head,
)
from drctl.audit.upload import LockedObject, LockMode, export_destination, upload_evidence
from drctl.audit.verify import verify_chain
from drctl.cli.app import app
from drctl.cli.options import (
    ActorOption,
    JsonOption,
    OptionalPlanOption,
    PlanOption,
    actor_name,
)
from drctl.cli.output import OutputOption, console, data_format, print_data, print_json
from drctl.cli.run import cli_engine
from drctl.engine.events import HumanKind
from drctl.errors import DrctlError
from drctl.plan.load import load_plan
from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings
from drctl.yamlsource import load_model

audit_app = typer.Typer(
    help="Verify, sign and export the audit trail.\n\nExample: drctl audit verify",
    no_args_is_help=True,
)
actions_app = typer.Typer(
    help="Improvement actions from reviews.\n\nExample: drctl actions list --open",
    no_args_is_help=True,
)
app.add_typer(audit_app, name="audit")
app.add_typer(actions_app, name="actions")


def _kms_checker(region: str) -> Callable[[HeadSignature], bool]:
    from drctl.audit.kms_sign import verify_with_kms
    from drctl.providers.aws.clients import AwsClients

    clients = AwsClients(Settings())
    return lambda sig: verify_with_kms(sig, clients, region)


def _log() -> AuditLog:
    return AuditLog.from_settings(Settings())


@audit_app.command("verify")
def verify_cmd(
    run: str | None = typer.Option(
        None, "--run", help="Verify the chain up to this run's last event."
    ),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="Trusted Ed25519 public key (PEM) for signatures."
    ),
    kms_verify: bool = typer.Option(
        False, "--kms-verify", help="Check KMS signatures with kms:Verify (else offline)."
    ),
    region: str = typer.Option("us-east-1", "--region", help="KMS region for bare key ids."),
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """Recompute the hash chain and check head signatures; exit 1 at the first break.

    Example: drctl audit verify --run drill-2026-05-01 --public-key audit-key.pub.pem
    """
    log = _log()
    report = verify_chain(log, run)
    checker = _kms_checker(region) if kms_verify else None
    checks = check_signatures(log, load_public_key(public_key) if public_key else None, checker)
    ok = report.ok and all(c.valid for c in checks)
    from drctl.audit.summary import summarise, summary_lines

    summary = summarise(run, log.events(run)) if run and report.ok else None
    if fmt := data_format(output, json_out):
        print_data({"ok": ok, "chain": report, "signatures": checks, "run": summary}, fmt)
    else:
        scope = f" up to run {run} ({report.run_events} events of it)" if run else ""
        if report.first_break is None:
            console.print(f"[green]chain valid[/green]: {report.checked} events{scope}")
        else:
            brk = report.first_break
            console.print(f"[red]chain broken at seq {brk.seq}[/red] ({brk.kind}): {brk.detail}")
        for c in checks:
            state = "[green]valid[/green]" if c.valid else "[red]INVALID[/red]"
            console.print(
                f"signature of seq {c.seq} by {c.signer} at {c.signed_at}: {state} {c.reason}"
            )
        for line in summary_lines(summary) if summary else []:
            console.print(line, markup=False, highlight=False)
    if not ok:
        raise typer.Exit(1)


@audit_app.command("sign")
def sign_cmd(
    key: Path | None = typer.Option(
        None, "--key", help="Ed25519 private key (PEM); default $DRCTL_AUDIT_SIGNING_KEY."
    ),
    kms_key: str | None = typer.Option(
        None, "--kms-key", help="Sign with this AWS KMS asymmetric key (id, alias or ARN)."
    ),
    region: str = typer.Option("us-east-1", "--region", help="KMS region for bare key ids."),
    as_name: ActorOption = None,
    json_out: JsonOption = False,
) -> None:
    """Sign the current chain head with an Ed25519 key (or a KMS key) and store the signature.

    Example: drctl audit sign --key audit-key.pem   (or: --kms-key arn:aws:kms:...:key/...)
    """
    if kms_key:
        from drctl.audit.kms_sign import region_of, sign_head_kms
        from drctl.providers.aws.clients import AwsClients

        settings = Settings()
        where = region_of(kms_key, region)
        signature = sign_head_kms(_log(), AwsClients(settings), kms_key, where, actor_name(as_name))
    else:
        signature = sign_head(_log(), load_private_key(key), actor_name(as_name))
    if json_out:
        print_json(signature)
    else:
        console.print(
            f"signed head seq {signature.seq} ({signature.hash[:16]}…) as {signature.signer}"
        )


@audit_app.command("keygen")
def keygen_cmd(
    output: Path = typer.Option(
        ..., "-o", "--output", help="Private key file to create (mode 0600)."
    ),
) -> None:
    """Create an Ed25519 signing key; the public key goes beside it as `<name>.pub.pem`.

    Example: drctl audit keygen -o audit-key.pem
    """
    if output.exists():
        raise DrctlError(
            f"{output} already exists", hint="choose another path; keys are never overwritten"
        )
    public = generate_key(output)
    public_path = output.with_name(output.stem + ".pub.pem")
    public_path.write_text(public, encoding="ascii")
    console.print(
        f"wrote {output} (private, keep it secret) and {public_path} (give it to auditors)"
    )


@audit_app.command("events")
def events_cmd(
    run: str | None = typer.Option(None, "--run", help="Only this run's events."),
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """List audit events in chain order.

    Example: drctl audit events --run drill-2026-05-01 --json
    """
    events = list(_log().events(run))
    if fmt := data_format(output, json_out):
        print_data(events, fmt)
        return
    table = Table("seq", "time (UTC)", "run", "actor", "kind", "step", "payload", box=None)
    for e in events:
        table.add_row(
            str(e.seq),
            e.time.strftime("%Y-%m-%d %H:%M:%S"),
            e.run_id,
            e.actor,
            e.kind,
            e.step_id or "",
            str(e.payload)[:80],
        )
    console.print(table)


@audit_app.command("export")
def export_cmd(
    run: str = typer.Argument(..., help="Run id."),
    output: Path = typer.Option(Path("evidence.zip"), "-o", "--output", help="Zip file to write."),
    plan: OptionalPlanOption = None,
    runbook: Path | None = typer.Option(
        None, "--runbook", help="The runbook file, if the engine has not recorded it."
    ),
    report: list[Path] = typer.Option([], "--report", help="Report files to include (repeatable)."),
    event_name: list[str] = typer.Option(
        [], "--event-name", help="CloudTrail event names to look up (repeatable)."
    ),
    region: list[str] = typer.Option(
        [], "--region", help="Regions to query CloudTrail in (repeatable)."
    ),
    no_cloudtrail: bool = typer.Option(
        False, "--no-cloudtrail", help="Skip the CloudTrail lookup."
    ),
    to: str | None = typer.Option(
        None, "--to", help="Also upload, Object-Locked, to s3://bucket/prefix."
    ),
    upload: bool = typer.Option(
        False, "--upload", help="Upload to the bucket in the plan's audit.export section."
    ),
    mode: LockMode | None = typer.Option(
        None, "--mode", help="Object Lock mode (default: the plan's, else COMPLIANCE)."
    ),
    retention_days: int | None = typer.Option(
        None, "--retention-days", min=1, help="Retention (default: the plan's, else 365)."
    ),
    as_name: ActorOption = None,
    json_out: JsonOption = False,
) -> None:
    """Write a run's evidence zip (manifest with hashes, events, chain proof, plan, runbook, CloudTrail, reports).

    The --plan file is included and hashed; it gives the regions and the audit section.

    Example: drctl audit export drill-2026-05-01 --plan shop.yaml -o evidence.zip --to s3://evidence-bucket/drctl
    """
    settings, log = Settings(), _log()
    request = ExportRequest(
        run, actor_name(as_name), plan, runbook, report, event_name, region, not no_cloudtrail
    )
    manifest = export_run(settings, log, request, output)
    uploaded: list[LockedObject] = []
    if to or upload:
        uploaded = _upload(settings, log, output, run, plan, to, mode, retention_days)
    if json_out:
        print_json({"file": str(output), "manifest": manifest, "uploaded": uploaded})
        return
    console.print(
        f"wrote {output}: {len(manifest.files)} files, {manifest.run_events} events, chain {'valid' if manifest.chain_ok else 'BROKEN'}"
    )
    for obj in uploaded:
        console.print(
            f"  locked {obj.mode} until {obj.retain_until:%Y-%m-%d}: {obj.key} (version {obj.version_id})"
        )


def _upload(
    settings: Settings,
    log: AuditLog,
    bundle: Path,
    run: str,
    plan_path: Path | None,
    to: str | None,
    mode: LockMode | None,
    retention_days: int | None,
) -> list[LockedObject]:
    plan = load_plan(plan_path) if plan_path else None
    target, plan_mode, plan_days = export_destination(plan, to)
    return upload_evidence(
        AwsClients(settings, roles=plan.aws.roles if plan else ()),
        bundle,
        target,
        run_id=run,
        mode=mode or plan_mode,
        retention_days=retention_days or plan_days,
        now=log.clock.now(),
    )


def _record(run: str, kind: HumanKind, data: dict[str, JsonValue], actor: str) -> None:
    """Publish what a person records through the engine's path into the trail (redacted there)."""
    log = _log()
    if log.run_span(run) is None:
        raise DrctlError(
            f"no run {run} in the audit log", hint="check the run id with `drctl audit events`"
        )
    event = cli_engine().record(kind, run, actor, data)
    stored = log.find(event.id)
    where = f" as seq {stored.seq}" if stored else ""
    console.print(f"recorded {kind}{where} by {actor}")


@app.command()
def note(
    run: str = typer.Argument(..., help="Run id."),
    text: str = typer.Argument(..., help="The note."),
    as_name: ActorOption = None,
) -> None:
    """Add a note to a run's audit trail (what was done or seen).

    Example: drctl note drill-2026-05-01 "DNS TTL was 300s, not 60s" --as alice
    """
    _record(run, "note", {"text": text}, actor_name(as_name))


@app.command()
def decide(
    run: str = typer.Argument(..., help="Run id."),
    decision: str = typer.Argument(..., help="What was decided."),
    reason: str = typer.Option(..., "--reason", help="Why."),
    as_name: ActorOption = None,
) -> None:
    """Record a decision and its reason in a run's audit trail.

    Example: drctl decide incident-42 "fail over to ap-southeast-1" --reason "primary down 20m" --as bob
    """
    _record(run, "decision", {"decision": decision, "reason": reason}, actor_name(as_name))


@app.command()
def problem(
    run: str = typer.Argument(..., help="Run id."),
    text: str = typer.Argument(..., help="The problem."),
    as_name: ActorOption = None,
) -> None:
    """Record a problem met during a run.

    Example: drctl problem drill-2026-05-01 "replica lag alarm missing"
    """
    _record(run, "problem", {"text": text}, actor_name(as_name))


@app.command()
def review(
    run: Annotated[str, typer.Argument(help="Run id.")],
    plan: PlanOption,
    file: Path | None = typer.Option(
        None, "--file", help="review.yaml with `problems:` and `actions:` (text, owner, due)."
    ),
    problem_text: list[str] = typer.Option([], "--problem", help="A problem found (repeatable)."),
    action: list[str] = typer.Option(
        [], "--action", help="An improvement action (repeatable; uses --owner/--due)."
    ),
    owner: str | None = typer.Option(None, "--owner", help="Owner of the --action items."),
    due: str | None = typer.Option(
        None, "--due", help="Due date of the --action items (YYYY-MM-DD)."
    ),
    as_name: ActorOption = None,
    json_out: JsonOption = False,
) -> None:
    """Record a run's review: problems found and improvement actions with owner and due date.

    The actions belong to the --plan file's plan (by its metadata.name).

    Example: drctl review drill-2026-05-01 --plan shop.yaml --problem "runbook lacked DNS step" --action "add DNS step" --owner alice --due 2026-06-30
    """
    log = _log()
    if log.run_span(run) is None:
        raise DrctlError(
            f"no run {run} in the audit log", hint="check the run id with `drctl audit events`"
        )
    found = load_model(file, Review) if file else Review()
    items = [_action_item(text, owner, due) for text in action]
    combined = Review(problems=[*found.problems, *problem_text], actions=[*found.actions, *items])
    if not combined.problems and not combined.actions:
        raise DrctlError("nothing to record", hint="pass --problem, --action or --file review.yaml")
    stored = record_review(log, run, load_plan(plan).metadata.name, combined, actor_name(as_name))
    if json_out:
        print_json({"problems": combined.problems, "actions": stored})
        return
    console.print(
        f"recorded {len(combined.problems)} problem(s) and {len(stored)} action(s) for {run}"
    )
    for a in stored:
        console.print(f"  #{a.id} {a.text} — {a.owner}, due {a.due}")


def _action_item(text: str, owner: str | None, due: str | None) -> ActionItem:
    if not owner or not due:
        raise DrctlError(
            "--action needs --owner and --due",
            hint='e.g. --action "add DNS step" --owner alice --due 2026-06-30',
        )
    try:
        due_date = date.fromisoformat(due)
    except ValueError as exc:
        raise DrctlError(f"--due {due!r} is not a date", hint="write it as YYYY-MM-DD") from exc
    return ActionItem(text=text, owner=owner, due=due_date)


@actions_app.command("list")
def actions_list(
    plan: OptionalPlanOption = None,
    only_open: bool = typer.Option(False, "--open", help="Only actions still open."),
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """List improvement actions from reviews (with --plan, only that plan's).

    Example: drctl actions list --plan shop.yaml --open
    """
    name = load_plan(plan).metadata.name if plan else None
    items = list_actions(_log(), plan=name, only_open=only_open)
    if fmt := data_format(output, json_out):
        print_data(items, fmt)
        return
    table = Table("id", "status", "due", "owner", "plan", "run", "action", box=None)
    today = date.today()
    for a in items:
        due = f"[red]{a.due}[/red]" if a.status == "open" and a.due < today else str(a.due)
        table.add_row(str(a.id), a.status, due, a.owner, a.plan, a.run_id, a.text)
    console.print(table)


@actions_app.command("close")
def actions_close(
    action_id: int = typer.Argument(..., help="Action id (from `drctl actions list`)."),
    resolution: str = typer.Option("", "--resolution", help="What was done."),
    as_name: ActorOption = None,
) -> None:
    """Close an improvement action, recording who and how.

    Example: drctl actions close 3 --as alice --resolution "DNS step added to the runbook"
    """
    closed = close_action(_log(), action_id, actor_name(as_name), resolution)
    console.print(f"closed #{closed.id} ({closed.text}) as {closed.closed_by}")

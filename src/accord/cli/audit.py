import json
import sys
from contextlib import nullcontext
from pathlib import Path

import typer
from rich.markup import escape

from accord import signing
from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.cli.main import err, out, runtime

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


KEPT = typer.Option(
    [],
    "--checkpoint",
    exists=True,
    dir_okay=False,
    help="also check against this checkpoint document (saved from the daily mail); repeatable",
)


@app.command()
def verify(
    checkpoint: list[Path] = KEPT,
    write: bool = typer.Option(True, help="sign and store a new checkpoint when everything verifies"),
) -> None:
    """Recompute the hash chain and check it against every signed checkpoint; exit 1 and name the first
    altered event or failing checkpoint."""
    rt = runtime()
    with rt.session() as db:
        report = audit.verify_with_checkpoints(
            rt, db, extra=[(str(p), p.read_bytes()) for p in checkpoint], write_checkpoint=write
        )
    if report.ok:
        out.print(
            f"[green]audit log intact[/]: {audit.count_events(report.chain.checked)} verified, "
            f"{report.checked} checkpoint{' matches' if report.checked == 1 else 's match'}"
        )
        if report.written:
            out.print(f"checkpoint {report.written.name} written")
        return
    if not report.chain.ok:
        err.print(f"[bold red]audit log altered[/] at event {report.chain.bad_event_id}: {report.chain.reason}")
    if report.failures:
        first = report.failures[0]
        more = len(report.failures) - 1
        err.print(
            f"[bold red]audit log altered[/]: checkpoint {escape(first.name)} no longer matches: "
            f"{escape(first.reason)}"
            + (f" ({more} later checkpoint{' fails' if more == 1 else 's fail'} too)" if more else "")
        )
    raise typer.Exit(1)


@app.command("checkpoints")
def list_checkpoints(limit: int = typer.Option(30, help="how many of the newest")) -> None:
    """The stored checkpoints, newest first, each with its signature checked (not yet against the chain)."""
    found = audit.stored_checkpoints(runtime())
    if not found:
        out.print("no checkpoints yet: `accord audit verify` writes one")
    for s in reversed(found[-limit:] if limit > 0 else found):
        cp = s.checkpoint
        where = f"{audit.count_events(cp.count)}, last {cp.hash[:16]}, signed {cp.at:%Y-%m-%d %H:%M:%S}" if cp else "?"
        status = f"[red]{escape(s.problem)}[/]" if s.problem else "[green]signature ok[/]"
        out.print(f"{escape(s.name)}  {where}  {status}", highlight=False)


@app.command("list")
def list_events(limit: int = typer.Option(30, help="how many of the newest events")) -> None:
    """Show the newest events."""
    from rich.table import Table

    with runtime().session() as db:
        rows = audit.recent(db, limit=limit)
    table = Table("id", "at", "actor", "action", "object")
    for ev in rows:
        table.add_row(
            str(ev.id), ev.at.strftime("%Y-%m-%d %H:%M:%S"), ev.actor, ev.action, f"{ev.object_type}:{ev.object_id}"
        )
    out.print(table)


@app.command()
def export(
    dataset: str | None = typer.Option(None, "--dataset", help="only the events about this dataset (its slug)"),
    actor: str | None = typer.Option(None, "--actor", help="only this actor's events: an e-mail, cli, jobs, system"),
    action: str | None = typer.Option(None, "--action", help="an action, or a prefix ending in '.' (anonymisation.)"),
    since: str | None = typer.Option(None, "--since", help="from: YYYY-MM-DD or an ISO date and time (UTC)"),
    until: str | None = typer.Option(None, "--until", help="to: YYYY-MM-DD (that day included) or a date and time"),
    out_file: Path | None = typer.Option(None, "--out", dir_okay=False, help="write here (default: standard output)"),
) -> None:
    """Write the events as JSON Lines with their hashes and the signed checkpoints over them, streamed, for
    `accord audit check` (here or on any machine with Accord installed)."""
    rt = runtime()
    with rt.session() as db:
        dataset_id = catalog.dataset_by_slug(db, dataset).id if dataset else None
    wanted = audit.filters(actor=actor, action=action, dataset_id=dataset_id, since=since, until=until)
    lines = audit.export_lines(rt, audit.EVERYTHING, wanted)  # the server's shell reads everything
    header = next(lines)
    with open(out_file, "w", encoding="utf-8") if out_file else nullcontext(sys.stdout) as sink:
        sink.write(header)
        for line in lines:
            sink.write(line)
    if out_file:
        count = json.loads(header)["events"]
        out.print(f"{audit.count_events(count)} written to {escape(str(out_file))}", highlight=False)


@app.command()
def check(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="an export from `accord audit export`"),
    cert: Path | None = typer.Option(
        None, "--cert", exists=True, dir_okay=False, help="the platform certificate (GET /api/v1/signing-key)"
    ),
) -> None:
    """Check an export without the server: every event against its hash, each against the one before it, the
    checkpoints' signatures and hashes; exit 1 and say what does not hold."""
    given = signing.load_cert(cert.read_bytes()) if cert else None
    with file.open("rb") as fh:
        done = audit.check_export(fh, cert=given)
    for problem in done.problems[:20]:
        err.print(f"[bold red]not intact[/]: {escape(problem)}", highlight=False)
    if len(done.problems) > 20:
        err.print(f"... and {len(done.problems) - 20} more", highlight=False)
    if not done.ok:
        raise typer.Exit(1)
    vouched = f"{done.vouched} of them vouched for by {done.checkpoints} signed checkpoint(s)"
    out.print(
        f"[green]export intact[/]: {audit.count_events(done.events)} in {done.runs} unbroken run(s), {vouched}",
        highlight=False,
    )
    if done.own_certificate:
        out.print(
            f"checked with the certificate the file carries ({done.certificate}): compare it with the "
            "platform's own, or pass --cert",
            highlight=False,
        )

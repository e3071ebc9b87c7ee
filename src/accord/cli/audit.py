from pathlib import Path

import typer
from rich.markup import escape

from accord.audit import service as audit
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

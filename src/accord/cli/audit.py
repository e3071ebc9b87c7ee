import typer

from accord.audit import service as audit
from accord.cli.main import err, out, runtime

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command()
def verify() -> None:
    """Recompute the hash chain; exit 1 and name the first altered event if anything was edited."""
    with runtime().session() as db:
        result = audit.verify(db)
    if result.ok:
        out.print(f"[green]audit log intact[/]: {result.checked} events verified")
        return
    err.print(f"[bold red]audit log altered[/] at event {result.bad_event_id}: {result.reason}")
    raise typer.Exit(1)


@app.command("list")
def list_events(limit: int = typer.Option(30, help="how many of the newest events")) -> None:
    """Show the newest events."""
    from rich.table import Table

    with runtime().session() as db:
        rows = audit.recent(db, limit=limit)
    table = Table("id", "at", "actor", "action", "object")
    for ev in rows:
        table.add_row(str(ev.id), ev.at.strftime("%Y-%m-%d %H:%M:%S"), ev.actor, ev.action,
                      f"{ev.object_type}:{ev.object_id}")
    out.print(table)

"""accord storage gc: list (and with --delete remove) what failed or killed ingests left in the blob store."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.table import Table

from accord.cli.main import out, runtime

app = typer.Typer(help="The blob store.", no_args_is_help=True)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return f"{n:,.1f} TB"


@app.command()
def gc(
    delete: bool = typer.Option(False, "--delete", help="remove what is listed (default: only list it)"),
    grace_hours: float = typer.Option(
        24.0, "--grace-hours", min=0, help="keep anything written more recently (an ingest may be running)"
    ),
) -> None:
    """List blobs, packs and temp files nothing refers to; --delete removes them."""
    from accord import storage_gc
    from accord.audit import service as audit
    from accord.db import unit_of_work

    rt = runtime()
    sweep = storage_gc.find(rt, grace=timedelta(hours=grace_hours))
    if not sweep.found:
        out.print("nothing to collect")
        return
    table = Table("kind", "name", "size", "age")
    for g in sweep.found:
        table.add_row(g.kind, g.name, _size(g.size), f"{g.age / 3600:,.1f} h")
    out.print(table)
    if not delete:
        out.print(
            f"{len(sweep.found):,} unreferenced entries, {_size(sweep.total)}; run again with --delete to remove them"
        )
        return
    storage_gc.remove(rt, sweep)
    with rt.session() as db, unit_of_work(db):
        audit.record(
            db,
            actor="cli",
            action="storage.collected",
            object=("storage", 0),
            data={"entries": len(sweep.found), "bytes": sweep.total, "kinds": sorted({g.kind for g in sweep.found})},
        )
    out.print(f"[green]removed[/] {len(sweep.found):,} entries, {_size(sweep.total)}")

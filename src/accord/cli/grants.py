"""accord grants ...: who holds access to a dataset, ending a grant with a reason, and then making the revocation
permanent (no applying again) or lifting it."""

from __future__ import annotations

import typer
from rich.table import Table

from accord.catalog import service as catalog
from accord.cli.main import AS, actor, out, runtime
from accord.entitlements import service as entitlements
from accord.identity import service as identity

app = typer.Typer(help="Access grants (entitlements) to datasets.", no_args_is_help=True)


@app.command("list")
def list_(dataset: str, as_: str | None = AS) -> None:
    """Everyone who holds (or held) access to DATASET."""
    with runtime().session() as db:
        ds = catalog.dataset_by_slug(db, dataset)
        rows = entitlements.for_dataset(db, ds.id, actor=actor(db, as_))
        table = Table("id", "licensee", "unit", "from", "until", "state")
        for e in rows:
            state = f"revoked: {e.revoke_reason}" if e.revoked_at else "active"
            if e.standing:
                state += f" ({e.standing}: {e.standing_reason})"
            table.add_row(
                str(e.id),
                identity.user_by_id(db, e.user_id).email,
                e.unit,
                f"{e.starts_at:%Y-%m-%d}",
                f"{e.expires_at:%Y-%m-%d}" if e.expires_at else "–",
                state,
            )
    out.print(table)


@app.command()
def revoke(
    grant_id: int, reason: str = typer.Option("", "--reason", help="told to the licensee"), as_: str | None = AS
) -> None:
    """End a grant now; the licensee is told the reason and their links stop working."""
    with runtime().session() as db:
        entitlements.revoke(db, grant_id, actor=actor(db, as_), reason=reason)
    out.print(f"[green]grant {grant_id} revoked[/]")


@app.command()
def permanent(
    grant_id: int,
    reason: str = typer.Option("", "--reason", help="kept with it; told to the licensee"),
    as_: str | None = AS,
) -> None:
    """Make the revocation of a grant permanent: its holder may not apply for the dataset again, nor renew."""
    with runtime().session() as db:
        entitlements.make_permanent(db, grant_id, actor=actor(db, as_), reason=reason)
    out.print(f"[green]the revocation of grant {grant_id} is permanent[/]")


@app.command()
def lift(
    grant_id: int,
    reason: str = typer.Option("", "--reason", help="kept with it; told to the licensee"),
    as_: str | None = AS,
) -> None:
    """Lift the revocation of a grant: its holder may apply again, and is reviewed as anyone."""
    with runtime().session() as db:
        entitlements.lift(db, grant_id, actor=actor(db, as_), reason=reason)
    out.print(f"[green]the revocation of grant {grant_id} is lifted[/]")

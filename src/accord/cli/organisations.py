"""accord organisations ...: organisations whose mail domain counts as institutional in the applicant checks."""

from __future__ import annotations

import typer
from rich.table import Table

from accord.cli.main import out, runtime
from accord.identity import service as identity

app = typer.Typer(
    help="Registered organisations: their members' addresses pass the institutional e-mail check.", no_args_is_help=True
)


@app.command()
def add(
    domain: str = typer.Argument(..., help="the mail domain, e.g. lab.example.com (subdomains count too)"),
    name: str = typer.Option(..., "--name", help="the organisation's name"),
) -> None:
    """Register an organisation by its mail domain."""
    with runtime().session() as db:
        org = identity.register_organisation(db, name=name, domain=domain, actor="cli")
        out.print(f"registered {org.name}: addresses at {org.domain} now count as institutional")


@app.command("list")
def list_() -> None:
    """The registered organisations."""
    with runtime().session() as db:
        table = Table("domain", "name", "registered")
        for org in identity.organisations(db):
            table.add_row(org.domain, org.name, f"{org.registered_at:%Y-%m-%d}")
        out.print(table)

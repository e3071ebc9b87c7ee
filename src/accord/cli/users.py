"""accord user ...: accounts, roles and API tokens from the command line."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from accord.catalog import service as catalog
from accord.cli.main import err, out, runtime
from accord.errors import InvalidInput
from accord.identity import service as identity

app = typer.Typer(help="User accounts, roles and API tokens.", no_args_is_help=True)


def _password(password: str | None, password_stdin: bool) -> str:
    if password is not None and password_stdin:
        raise InvalidInput("give either --password or --password-stdin, not both")
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise InvalidInput("no password given: use --password-stdin (or --password)")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _dataset_id(db, slug: str | None) -> int | None:
    return catalog.dataset_by_slug(db, slug).id if slug else None


@app.command()
def create(
    email: str,
    name: str = typer.Option("", "--name", help="full name (default: the e-mail address)"),
    password: str | None = typer.Option(
        None, "--password", help="visible in the process list; prefer --password-stdin"
    ),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from stdin"),
    role: list[str] = typer.Option([], "--role", help="a global role: admin, curator, reviewer (repeatable)"),
) -> None:
    """Create an account with a confirmed e-mail address."""
    secret = _password(password, password_stdin)
    with runtime().session() as db:
        user = identity.create_user(db, email=email, name=name, password=secret, roles=role)
        roles = ", ".join(catalog.role_labels(db, user))
        out.print(f"[green]created[/] {user.email} (id {user.id}): {roles}")


@app.command()
def grant(
    email: str,
    role: str,
    dataset: str | None = typer.Option(None, "--dataset", help="limit the role to this dataset (slug)"),
) -> None:
    """Give a user a role, globally or for one dataset."""
    with runtime().session() as db:
        user = identity.user_by_email(db, email)
        identity.grant_role(db, user, role, dataset_id=_dataset_id(db, dataset))
        out.print(f"[green]granted[/] {role}{f' of {dataset}' if dataset else ''} to {user.email}")


@app.command("revoke-role")
def revoke_role(
    email: str, role: str, dataset: str | None = typer.Option(None, "--dataset", help="the dataset the role was for")
) -> None:
    """Take a role away from a user."""
    with runtime().session() as db:
        user = identity.user_by_email(db, email)
        identity.revoke_role(db, user, role, dataset_id=_dataset_id(db, dataset))
        out.print(f"[green]revoked[/] {role}{f' of {dataset}' if dataset else ''} from {user.email}")


@app.command("list")
def list_users() -> None:
    """Every account with its roles."""
    with runtime().session() as db:
        table = Table("id", "e-mail", "name", "confirmed", "roles")
        for user in identity.list_users(db):
            table.add_row(
                str(user.id),
                user.email,
                user.name,
                "yes" if user.email_verified_at else "no",
                ", ".join(catalog.role_labels(db, user)),
            )
    out.print(table)


@app.command()
def token(email: str, name: str = typer.Option(..., "--name", help="what the token is for, e.g. a host")) -> None:
    """Create a personal API token and print it (once: only its hash is kept)."""
    with runtime().session() as db:
        user = identity.user_by_email(db, email)
        new = identity.create_api_token(db, user, name=name, actor="cli")
    err.print(f"token [bold]{new.token.name}[/] for {user.email}; store it now, it is not shown again:")
    print(new.secret)

"""One application step, run where the command runs (accord.cli.remote): over the API as the token's owner, or on
this machine's database as the user named by --as; and how its outcome is printed. accord apply, accord
applications (the applicant's commands) and the reviewers' commands share them."""

from __future__ import annotations

import typer

from accord.access.schemas import ApplicationOut
from accord.cli import remote
from accord.cli.main import out, runtime

AS = typer.Option(None, "--as", help="the user acting (their roles are checked), on the server's own database")


def either(server, token, as_, over_api, here) -> ApplicationOut:
    """One application step, over the API (`over_api(client)`) or on the database (`here(rt, db, user)`)."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            return ApplicationOut.model_validate(over_api(client))
    rt = runtime()
    with rt.session() as db:
        return ApplicationOut.of(here(rt, db, remote.acting(db, as_)))


def print_status(body: ApplicationOut, *, missing: bool = False) -> None:
    grant = f" ({body.grant.words.lower()})" if body.grant else ""
    out.print(f"application {body.id} for {body.dataset}: [bold]{body.status}[/]{grant}", highlight=False)
    for line in body.missing if missing else ():
        out.print(f"  still needed: {line}", highlight=False)

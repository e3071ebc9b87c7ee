"""accord applications queue, approve, reject, return: what a reviewer does, on the datasets they review.

With --token (or ACCORD_TOKEN) each command talks to an Accord server as the token's owner; without one it works on
this machine's database as the user named by --as (accord.cli.remote). The commands join the `applications` group
(accord.cli.applications)."""

from __future__ import annotations

from dataclasses import asdict

import typer

from accord.access import service as access
from accord.cli import remote
from accord.cli.main import out, runtime
from accord.cli.steps import AS, either, print_status

app = typer.Typer()  # no name: its commands are added to the applications group itself


@app.command()
def queue(
    dataset: str | None = typer.Option(None, "--dataset", help="only this dataset"),
    status: str = typer.Option("submitted", "--status", help="submitted, returned, approved, rejected, ..."),
    page: int = typer.Option(1, "--page", min=1),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Applications waiting on the datasets you review, oldest first."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            found = client.review_queue(dataset=dataset, status=status, page=page)
    else:
        with runtime().session() as db:
            found = asdict(access.review_queue(db, remote.acting(db, as_), dataset=dataset, status=status, page=page))
    # One line per application (a table squeezes e-mail addresses in a narrow terminal).
    for r in found["rows"]:
        failed = f"; failed checks: {', '.join(r['failed_checks'])}" if r["failed_checks"] else ""
        out.print(
            f"{r['id']}  {r['dataset_slug']}  {r['status']}  {r['applicant_email']} ({r['organisation']})  "
            f"{r['age_days']} days{' [red]overdue[/]' if r['overdue'] else ''}{failed}",
            highlight=False,
            soft_wrap=True,
        )
    if not found["rows"]:
        out.print(f"no {status} applications on the datasets you review")
    if found["pages"] > 1:
        out.print(f"page {found['page']} of {found['pages']} ({found['total']} in all)", highlight=False)


@app.command()
def approve(
    app_id: int,
    note: str = typer.Option("", "--note"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Approve an application (reviewers of its dataset)."""
    print_status(
        either(
            server,
            token,
            as_,
            lambda client: client.approve(app_id, note),
            lambda rt, db, user: access.approve(db, app_id, actor=user, note=note, base_url=rt.settings.base_url),
        )
    )


@app.command()
def reject(
    app_id: int,
    reason: str = typer.Option("", "--reason", help="told to the applicant"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Reject an application with a reason (reviewers of its dataset)."""
    print_status(
        either(
            server,
            token,
            as_,
            lambda client: client.reject(app_id, reason),
            lambda rt, db, user: access.reject(db, app_id, actor=user, reason=reason),
        )
    )


@app.command("return")
def return_(
    app_id: int,
    comment: str = typer.Option("", "--comment", help="what the applicant should change"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Return an application for changes (reviewers of its dataset)."""
    print_status(
        either(
            server,
            token,
            as_,
            lambda client: client.return_for_changes(app_id, comment),
            lambda rt, db, user: access.return_for_changes(db, app_id, actor=user, comment=comment),
        )
    )

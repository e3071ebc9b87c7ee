"""accord training ...: upload a training certificate, list yours (or those waiting for you), accept, reject.

With --token (or ACCORD_TOKEN) on your own machine over the API; without one on the server with --as."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from accord.cli import remote
from accord.cli.files import read_capped
from accord.cli.main import out, runtime
from accord.identity import service as identity
from accord.training import service as training
from accord.training.schemas import CertificateOut

app = typer.Typer(
    help="Human-subjects research training certificates: upload yours; review others' as a reviewer.",
    no_args_is_help=True,
)

AS = typer.Option(None, "--as", help="the user acting (their roles are checked), on the server's own database")


def _either(server, token, as_, over_api, here) -> CertificateOut:
    """One step, over the API (`over_api(client)`) or on the database (`here(rt, db, user)`)."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            return CertificateOut.model_validate(over_api(client))
    rt = runtime()
    with rt.session() as db:
        return CertificateOut.model_validate(here(rt, db, remote.acting(db, as_)))


@app.command()
def upload(
    file: Path,
    course: str = typer.Option(..., "--course", help="the course and who issued the certificate"),
    completed: str = typer.Option(..., "--completed", help="completion date, YYYY-MM-DD"),
    expires: str = typer.Option(..., "--expires", help="expiry date, YYYY-MM-DD"),
    application: int | None = typer.Option(None, "--application", help="the application it goes with"),
    dataset: str | None = typer.Option(None, "--dataset", help="or: renew it for a dataset you hold"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Upload FILE (PDF, PNG or JPEG) as your certificate; a reviewer of the dataset accepts or rejects it."""
    data = read_capped(file, limit=training.MAX_BYTES, field="certificate")
    cert = _either(
        server,
        token,
        as_,
        lambda client: client.upload_training(
            data,
            filename=file.name,
            course=course,
            completed_on=completed,
            expires_on=expires,
            application_id=application,
            dataset=dataset,
        ),
        lambda rt, db, user: training.upload(
            rt,
            db,
            actor=user,
            data=data,
            filename=file.name,
            course=course,
            completed_on=completed,
            expires_on=expires,
            application_id=application,
            dataset_slug=dataset,
            base_url=rt.settings.base_url,
        ),
    )
    out.print(f"certificate {cert.id} uploaded: [bold]pending[/] until a reviewer decides", highlight=False)


@app.command("list")
def list_(
    to_review: bool = typer.Option(False, "--to-review", help="those waiting for you as a reviewer"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Your certificates, newest first (or, with --to-review, those waiting in the datasets you review)."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            rows = [
                CertificateOut.model_validate(c)
                for c in (client.training_to_review() if to_review else client.training())
            ]
    else:
        with runtime().session() as db:
            user = remote.acting(db, as_)
            found = training.to_review(db, user) if to_review else training.mine(db, user)
            rows = [
                CertificateOut.model_validate(c).model_copy(
                    update={"holder_email": identity.user_by_id(db, c.user_id).email}
                )
                for c in found
            ]
    table = Table("id", "holder", "course", "expires", "status")
    for c in rows:
        status = f"rejected: {c.reject_reason}" if c.status == "rejected" else c.status
        table.add_row(str(c.id), c.holder_email or "", c.course, str(c.expires_on), status)
    out.print(table)


@app.command()
def accept(
    cert_id: int, as_: str | None = AS, server: str | None = remote.SERVER, token: str | None = remote.TOKEN
) -> None:
    """Accept certificate CERT_ID (reviewers of its dataset); access waiting for it resumes."""
    _either(
        server,
        token,
        as_,
        lambda client: client.accept_training(cert_id),
        lambda rt, db, user: training.accept(db, cert_id, actor=user),
    )
    out.print(f"[green]certificate {cert_id} accepted[/]")


@app.command()
def reject(
    cert_id: int,
    reason: str = typer.Option("", "--reason", help="told to the holder"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Reject certificate CERT_ID with a reason the holder is told."""
    _either(
        server,
        token,
        as_,
        lambda client: client.reject_training(cert_id, reason),
        lambda rt, db, user: training.reject(db, cert_id, actor=user, reason=reason),
    )
    out.print(f"[green]certificate {cert_id} rejected[/]")

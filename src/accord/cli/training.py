"""accord training ...: upload a training certificate, list yours (or those waiting for you), accept, reject."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from accord.cli.main import out, runtime
from accord.errors import InvalidInput
from accord.identity import service as identity
from accord.training import service as training

app = typer.Typer(help="Human-subjects research training certificates: upload yours; review others' as a reviewer.",
                  no_args_is_help=True)

AS = typer.Option(None, "--as", help="the user acting (their roles are checked)")


def _user(db, email: str | None):
    # Uploading and deciding are personal acts, recorded under a person's name: no anonymous shell actor here.
    if not email:
        raise InvalidInput("say who is acting with --as EMAIL")
    return identity.user_by_email(db, email)


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > training.MAX_BYTES:
            return path.open("rb").read(training.MAX_BYTES + 1)  # the service says it is too large
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", field="certificate") from None


@app.command()
def upload(file: Path,
           course: str = typer.Option(..., "--course", help="the course and who issued the certificate"),
           completed: str = typer.Option(..., "--completed", help="completion date, YYYY-MM-DD"),
           expires: str = typer.Option(..., "--expires", help="expiry date, YYYY-MM-DD"),
           application: int | None = typer.Option(None, "--application", help="the application it goes with"),
           dataset: str | None = typer.Option(None, "--dataset", help="or: renew it for a dataset you hold"),
           as_: str | None = AS) -> None:
    """Upload FILE (PDF, PNG or JPEG) as your certificate; a reviewer of the dataset accepts or rejects it."""
    rt = runtime()
    data = _read(file)
    with rt.session() as db:
        cert = training.upload(rt, db, actor=_user(db, as_), data=data, filename=file.name, course=course,
                               completed_on=completed, expires_on=expires, application_id=application,
                               dataset_slug=dataset, base_url=rt.settings.base_url)
    out.print(f"certificate {cert.id} uploaded: [bold]pending[/] until a reviewer decides", highlight=False)


@app.command("list")
def list_(to_review: bool = typer.Option(False, "--to-review", help="those waiting for you as a reviewer"),
          as_: str | None = AS) -> None:
    """Your certificates, newest first (or, with --to-review, those waiting in the datasets you review)."""
    with runtime().session() as db:
        user = _user(db, as_)
        rows = training.to_review(db, user) if to_review else training.mine(db, user)
        table = Table("id", "holder", "course", "expires", "status")
        for c in rows:
            status = f"rejected: {c.reject_reason}" if c.status == "rejected" else c.status
            table.add_row(str(c.id), identity.get_user(db, c.user_id).email, c.course, str(c.expires_on), status)
    out.print(table)


@app.command()
def accept(cert_id: int, as_: str | None = AS) -> None:
    """Accept certificate CERT_ID (reviewers of its dataset); access waiting for it resumes."""
    with runtime().session() as db:
        training.accept(db, cert_id, actor=_user(db, as_))
    out.print(f"[green]certificate {cert_id} accepted[/]")


@app.command()
def reject(cert_id: int, reason: str = typer.Option("", "--reason", help="told to the holder"),
           as_: str | None = AS) -> None:
    """Reject certificate CERT_ID with a reason the holder is told."""
    with runtime().session() as db:
        training.reject(db, cert_id, actor=_user(db, as_), reason=reason)
    out.print(f"[green]certificate {cert_id} rejected[/]")

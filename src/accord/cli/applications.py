"""accord apply ... and accord applications ...: apply for a dataset, follow it, and decide as a reviewer."""
from __future__ import annotations

from pathlib import Path

import typer
import yaml
from rich.table import Table

from accord.access import renewal, scan
from accord.access import service as access
from accord.access.schemas import ApplicationOut
from accord.cli.main import out, runtime
from accord.errors import InvalidInput
from accord.identity import service as identity

app = typer.Typer(help="Applications for datasets: follow yours; review others as a reviewer.",
                  no_args_is_help=True)

AS = typer.Option(None, "--as", help="the user acting (their roles are checked)")
ANSWERS = typer.Option(..., "--answers", help="a YAML file: field: answer (and signatory:)")
MAX_ANSWERS_BYTES = 64 * 1024


def _user(db, email: str | None):
    # Applying and deciding are personal acts, recorded under a person's name: no anonymous shell actor here.
    if not email:
        raise InvalidInput("say who is acting with --as EMAIL")
    return identity.user_by_email(db, email)


def _read_answers(path: Path) -> tuple[dict, dict | None]:
    try:
        if path.stat().st_size > MAX_ANSWERS_BYTES:
            raise InvalidInput(f"{path} is too large for an answers file (at most 64 KB)")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} must be a mapping of field names to answers")
    signatory = data.pop("signatory", None)
    return {str(k): v for k, v in data.items()}, signatory


def _status(record) -> None:
    out.print(f"application {record.id} for {record.dataset_slug}: [bold]{record.state.status.value}[/]",
              highlight=False)


def apply(dataset: str,
          answers: Path = ANSWERS,
          sign: str | None = typer.Option(None, "--sign", help="sign with this full name, then submit"),
          agree: bool = typer.Option(False, "--agree", help="you have read and agree to every clause"),
          as_: str | None = AS) -> None:
    """Apply for DATASET with the answers in a file; with --sign and --agree, sign and submit it too."""
    if sign is not None and not agree:
        raise InvalidInput("signing needs your explicit consent: add --agree after reading the terms "
                           f"(accord policy show {dataset} --format clauses)")
    given, signatory = _read_answers(answers)
    rt = runtime()
    with rt.session() as db:
        user = _user(db, as_)
        record = access.start(db, dataset, actor=user, answers=given, signatory=signatory)
        if sign is not None:
            access.sign(rt, db, record.id, actor=user, full_name=sign, consent=agree)
            record = access.submit(db, record.id, actor=user, base_url=rt.settings.base_url)
    _status(record)
    for line in ApplicationOut.of(record).missing:
        out.print(f"  still needed: {line}", highlight=False)


def renew(dataset: str, as_: str | None = AS) -> None:
    """Renew your expiring or expired access to DATASET: a new application under the current terms, with your
    last approved answers filled in. Review it with `accord applications show`, then sign and submit."""
    with runtime().session() as db:
        record = renewal.renew(db, dataset, actor=_user(db, as_))
    _status(record)
    for line in ApplicationOut.of(record).missing:
        out.print(f"  still needed: {line}", highlight=False)


def register(root: typer.Typer) -> None:
    root.command()(apply)
    root.command()(renew)


@app.command("list")
def list_(as_: str | None = AS) -> None:
    """Your applications, newest first."""
    with runtime().session() as db:
        rows = access.mine(db, _user(db, as_))
    table = Table("id", "dataset", "status", "terms", "started", "submitted", "decided")
    day = lambda t: t.strftime("%Y-%m-%d") if t else ""
    for r in rows:
        table.add_row(str(r.id), r.dataset, r.status, f"v{r.policy_version}", day(r.created_at),
                      day(r.submitted_at), day(r.decided_at))
    out.print(table if rows else "no applications yet")


@app.command()
def show(app_id: int, as_: str | None = AS,
         scan_to: Path | None = typer.Option(None, "--scan", metavar="FILE",
                                             help="also save the uploaded hand-signed agreement to FILE "
                                                  "(or into FILE if it is a folder)")) -> None:
    """State, what is missing, check results and the timeline of one application."""
    rt = runtime()
    with rt.session() as db:
        user = _user(db, as_)
        body = ApplicationOut.of(access.get(db, app_id, viewer=user))
        signed = scan.stored(rt, db, app_id, viewer=user) if scan_to is not None else None
    out.print(f"application {body.id} for {body.dataset} (terms v{body.policy_version}) by {body.applicant_email}: "
              f"[bold]{body.status}[/]", highlight=False)
    if body.reason:
        out.print(f"  reviewer: {body.reason}", highlight=False)
    for line in body.missing:
        out.print(f"  still needed: {line}", highlight=False)
    for c in body.checks:
        mark = "[green]pass[/]" if c.passed else ("[red]FAIL[/]" if c.blocking else "[yellow]note[/]")
        out.print(f"  check {c.name}: {mark} {c.detail}", highlight=False)
    for e in body.timeline:
        out.print(f"  {e.at:%Y-%m-%d %H:%M} {e.kind}", highlight=False)
    if signed is not None:
        _save_scan(app_id, *signed, scan_to)


def _save_scan(app_id: int, data: bytes, kind: str, to: Path) -> None:
    if to.is_dir():
        to = to / scan.file_name(app_id, kind)
    try:
        with to.open("xb") as fh:  # never over a file that is already there
            fh.write(data)
    except FileExistsError:
        raise InvalidInput(f"{to} already exists: name a new file or a folder") from None
    except OSError as exc:
        to.unlink(missing_ok=True)  # ours if it is there at all: no half file left behind
        raise InvalidInput(f"cannot write {to}: {exc.strerror}") from None
    out.print(f"  signed scan ({kind}, {len(data)} bytes) saved to {to}", highlight=False, soft_wrap=True)


@app.command()
def sign(app_id: int, full_name: str, agree: bool = typer.Option(False, "--agree"), as_: str | None = AS) -> None:
    """Sign the agreement of a draft or returned application with your full name."""
    rt = runtime()
    with rt.session() as db:
        _status(access.sign(rt, db, app_id, actor=_user(db, as_), full_name=full_name, consent=agree))


@app.command()
def submit(app_id: int, as_: str | None = AS) -> None:
    """Submit (or resubmit) a signed application."""
    rt = runtime()
    with rt.session() as db:
        _status(access.submit(db, app_id, actor=_user(db, as_), base_url=rt.settings.base_url))


@app.command()
def withdraw(app_id: int, as_: str | None = AS) -> None:
    """Withdraw your application."""
    with runtime().session() as db:
        _status(access.withdraw(db, app_id, actor=_user(db, as_)))


@app.command()
def approve(app_id: int, note: str = typer.Option("", "--note"), as_: str | None = AS) -> None:
    """Approve an application (reviewers of its dataset)."""
    with runtime().session() as db:
        _status(access.approve(db, app_id, actor=_user(db, as_), note=note))


@app.command()
def reject(app_id: int, reason: str = typer.Option("", "--reason", help="told to the applicant"),
           as_: str | None = AS) -> None:
    """Reject an application with a reason (reviewers of its dataset)."""
    with runtime().session() as db:
        _status(access.reject(db, app_id, actor=_user(db, as_), reason=reason))


@app.command("return")
def return_(app_id: int, comment: str = typer.Option("", "--comment", help="what the applicant should change"),
            as_: str | None = AS) -> None:
    """Return an application for changes (reviewers of its dataset)."""
    with runtime().session() as db:
        _status(access.return_for_changes(db, app_id, actor=_user(db, as_), comment=comment))

"""accord apply ... and accord applications ...: apply for a dataset and follow it. The reviewers' commands of the
same group live in accord.cli.reviews.

With --token (or ACCORD_TOKEN) each command talks to an Accord server as the token's owner; without one it works on
this machine's database as the user named by --as (accord.cli.remote)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import typer
import yaml
from rich.table import Table

from accord.access import service as access
from accord.access.schemas import ApplicationOut, ApplicationRow
from accord.cli import remote, reviews
from accord.cli.files import read_capped
from accord.cli.main import err, out, runtime
from accord.cli.steps import AS, either, print_status
from accord.errors import InvalidInput

app = typer.Typer(help="Applications for datasets: follow yours; review others as a reviewer.", no_args_is_help=True)
app.add_typer(reviews.app)  # queue, approve, reject, return (accord.cli.reviews)

ANSWERS = typer.Option(..., "--answers", help="a YAML file: field: answer (and signatory:)")
MAX_ANSWERS_BYTES = 64 * 1024


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


@contextmanager
def _kept(app_id: int):
    """Signing or submitting failed after the application was started: say it is there to carry on with."""
    try:
        yield
    except Exception:
        err.print(
            f"application {app_id} was started and is kept: see `accord applications show {app_id}`, "
            "then sign and submit it",
            highlight=False,
        )
        raise


def apply(
    dataset: str,
    answers: Path = ANSWERS,
    sign: str | None = typer.Option(None, "--sign", help="sign with this full name (and submit)"),
    agree: bool = typer.Option(False, "--agree", help="you have read and agree to every clause"),
    submit: bool | None = typer.Option(
        None, "--submit/--no-submit", help="submit once signed (the default with --sign)"
    ),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Apply for DATASET with the answers in a file; with --sign and --agree, sign and submit it too."""
    if sign is not None and not agree:
        raise InvalidInput(
            "signing needs your explicit consent: add --agree after reading the terms "
            f"(accord policy show {dataset} --format clauses)"
        )
    if submit and sign is None:
        raise InvalidInput('an application is submitted once signed: add --sign "Your Full Name" --agree')
    submit = sign is not None if submit is None else submit
    given, signatory = _read_answers(answers)

    def over_api(client):
        body = client.apply(dataset, given, signatory)
        with _kept(body["id"]):
            if sign is not None:
                body = client.sign(body["id"], sign, consent=agree)
                if submit:
                    body = client.submit(body["id"])
        return body

    def here(rt, db, user):
        record = access.start(db, dataset, actor=user, answers=given, signatory=signatory)
        with _kept(record.id):
            if sign is not None:
                record = access.sign(rt, db, record.id, actor=user, full_name=sign, consent=agree)
                if submit:
                    record = access.submit(db, record.id, actor=user, base_url=rt.settings.base_url)
        return record

    print_status(either(server, token, as_, over_api, here), missing=True)


def renew(
    dataset: str, as_: str | None = AS, server: str | None = remote.SERVER, token: str | None = remote.TOKEN
) -> None:
    """Renew your expiring or expired access to DATASET: a new application under the current terms, with your
    last approved answers filled in. Review it with `accord applications show`, then sign and submit."""
    print_status(
        either(
            server,
            token,
            as_,
            lambda client: client.renew(dataset),
            lambda rt, db, user: access.renew(db, dataset, actor=user),
        ),
        missing=True,
    )


def register(root: typer.Typer) -> None:
    root.command()(apply)
    root.command()(renew)


@app.command("list")
def list_(as_: str | None = AS, server: str | None = remote.SERVER, token: str | None = remote.TOKEN) -> None:
    """Your applications, newest first."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            rows = [ApplicationRow.model_validate(r) for r in client.applications()]
    else:
        with runtime().session() as db:
            rows = access.mine(db, remote.acting(db, as_))
    table = Table("id", "dataset", "status", "terms", "started", "submitted", "decided")

    def day(t):
        return t.strftime("%Y-%m-%d") if t else ""

    for r in rows:
        status = f"{r.status}, {r.grant.words.lower()}" if r.grant else r.status
        table.add_row(
            str(r.id),
            r.dataset,
            status,
            f"v{r.policy_version}",
            day(r.created_at),
            day(r.submitted_at),
            day(r.decided_at),
        )
    out.print(table if rows else "no applications yet")


@app.command()
def show(
    app_id: int,
    as_: str | None = AS,
    scan_to: Path | None = typer.Option(
        None,
        "--scan",
        metavar="FILE",
        help="also save the uploaded hand-signed agreement to FILE (or into FILE if it is a folder)",
    ),
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """State, what is missing, check results and the timeline of one application."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            body = ApplicationOut.model_validate(client.application(app_id))
            signed = client.scan(app_id) if scan_to is not None else None
    else:
        rt = runtime()
        with rt.session() as db:
            user = remote.acting(db, as_)
            body = ApplicationOut.of(access.get(db, app_id, viewer=user))
            signed = access.stored_scan(rt, db, app_id, viewer=user) if scan_to is not None else None
    out.print(
        f"application {body.id} for {body.dataset} (terms v{body.policy_version}) by {body.applicant_email}: "
        f"[bold]{body.status}[/]",
        highlight=False,
    )
    if body.grant:
        out.print(
            f"  {body.grant.words.lower()}" + (f": {body.grant.reason}" if body.grant.reason else ""), highlight=False
        )
    if body.reason:
        out.print(f"  reviewer: {body.reason}", highlight=False)
    for line in body.missing:
        out.print(f"  still needed: {line}", highlight=False)
    for c in body.checks:
        mark = "[green]pass[/]" if c.passed else ("[red]FAIL[/]" if c.blocking else "[yellow]note[/]")
        out.print(f"  check {c.name}: {mark} {c.detail}", highlight=False)
    for e in body.timeline:
        out.print(f"  {e.at:%Y-%m-%d %H:%M} {e.kind}", highlight=False)
    if signed is not None and scan_to is not None:  # asked for with --scan only
        data, kind = signed
        to = _save(data, scan_to, access.scan_file_name(app_id, kind))
        out.print(f"  signed scan ({kind}, {len(data)} bytes) saved to {to}", highlight=False, soft_wrap=True)


def _save(data: bytes, to: Path, name: str) -> Path:
    """Write `data` to the file `to` (or as `name` into it, if it is a folder)."""
    if to.is_dir():
        to = to / name
    try:
        with to.open("xb") as fh:  # never over a file that is already there
            fh.write(data)
    except FileExistsError:
        raise InvalidInput(f"{to} already exists: name a new file or a folder") from None
    except OSError as exc:
        to.unlink(missing_ok=True)  # ours if it is there at all: no half file left behind
        raise InvalidInput(f"cannot write {to}: {exc.strerror}") from None
    return to


@app.command()
def agreement(
    app_id: int,
    to: Path = typer.Argument(..., metavar="FILE", help="a new file, or a folder"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Save the agreement as a PDF: before signing, the copy to print, sign by hand and upload with
    `accord applications sign APP_ID "Full Name" --agree --scan FILE`; once signed, the sealed copy."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            pdf = client.agreement(app_id)
    else:
        rt = runtime()
        with rt.session() as db:
            pdf = access.agreement_pdf(rt, db, app_id, viewer=remote.acting(db, as_))
    saved = _save(pdf, to, f"agreement-{app_id}.pdf")
    out.print(f"agreement of application {app_id} ({len(pdf)} bytes) saved to {saved}", highlight=False, soft_wrap=True)


@app.command()
def sign(
    app_id: int,
    full_name: str,
    agree: bool = typer.Option(False, "--agree"),
    scan_file: Path | None = typer.Option(
        None,
        "--scan",
        metavar="FILE",
        help="sign with the hand-signed agreement (PDF, PNG or JPEG) "
        "instead (print it from `accord applications agreement`)",
    ),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Sign the agreement of a draft or returned application with your full name (typed, or on a scan)."""
    if scan_file is not None:
        data = read_capped(scan_file, limit=access.MAX_SCAN_BYTES, field="scan")
        print_status(
            either(
                server,
                token,
                as_,
                lambda client: client.upload_scan(
                    app_id, data, filename=scan_file.name, full_name=full_name, consent=agree
                ),
                lambda rt, db, user: access.upload_scan(
                    rt, db, app_id, actor=user, data=data, full_name=full_name, consent=agree
                ),
            )
        )
        return
    print_status(
        either(
            server,
            token,
            as_,
            lambda client: client.sign(app_id, full_name, consent=agree),
            lambda rt, db, user: access.sign(rt, db, app_id, actor=user, full_name=full_name, consent=agree),
        )
    )


@app.command()
def submit(
    app_id: int, as_: str | None = AS, server: str | None = remote.SERVER, token: str | None = remote.TOKEN
) -> None:
    """Submit (or resubmit) a signed application."""
    print_status(
        either(
            server,
            token,
            as_,
            lambda client: client.submit(app_id),
            lambda rt, db, user: access.submit(db, app_id, actor=user, base_url=rt.settings.base_url),
        )
    )


@app.command()
def withdraw(
    app_id: int, as_: str | None = AS, server: str | None = remote.SERVER, token: str | None = remote.TOKEN
) -> None:
    """Withdraw your application."""
    print_status(
        either(
            server,
            token,
            as_,
            lambda client: client.withdraw(app_id),
            lambda rt, db, user: access.withdraw(db, app_id, actor=user),
        )
    )

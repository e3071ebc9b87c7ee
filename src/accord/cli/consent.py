"""accord privacy consent ...: a dataset's consent records: import them from CSV (writing each new subject's
withdrawal link to a file), list them, see which labels lack consent, record a withdrawal received on paper.

With --token (or ACCORD_TOKEN) over the API as yourself; without one on the server's database, as --as (default:
the server's shell)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import typer
from rich.table import Table

from accord.catalog import service as catalog
from accord.cli import remote
from accord.cli.files import read_capped
from accord.cli.main import AS, actor, out, runtime
from accord.errors import InvalidInput
from accord.privacy import service as privacy
from accord.privacy.schemas import ConsentRecordOut, CoverageOut, ImportReportOut, WithdrawnOut

consent_app = typer.Typer(
    help="Consent records per subject label: import, list, what lacks consent, withdrawals on paper.",
    no_args_is_help=True,
)


@consent_app.command("import")
def import_(
    dataset: str,
    file: Path,
    links_out: Path | None = typer.Option(
        None, "--links-out", help="write each new subject's private withdrawal link to this CSV (shown only once)"
    ),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Import FILE (CSV: subject, consented_at, scope, optional email) into DATASET, all or nothing."""
    data = read_capped(file, limit=privacy.MAX_CSV_BYTES, field="file")
    if links_out is not None and links_out.exists():
        raise InvalidInput(f"{links_out} exists; the links are shown once, so it is not overwritten", field="links-out")
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            report = ImportReportOut.model_validate(client.import_consent(dataset, data, filename=file.name))
    else:
        rt = runtime()
        with rt.session() as db:
            ds = catalog.dataset_by_slug(db, dataset)
            report = ImportReportOut.of(privacy.import_csv(rt, db, ds.id, data, actor=actor(db, as_)))
    out.print(
        f"[green]{report.created} new, {report.updated} updated, {report.unchanged} unchanged[/]"
        + (f"; {report.emailed} e-mailed their link" if report.emailed else ""),
        highlight=False,
    )
    if report.withdrawn:
        out.print(f"left as they are (consent withdrawn): {', '.join(report.withdrawn)}", highlight=False)
    if not report.links:
        return
    if links_out is None:
        out.print("each new subject's private withdrawal link (shown this once; hand each their own):")
        for link in report.links:
            out.print(f"{link.subject}\t{link.link}", highlight=False, soft_wrap=True)
        return
    fd = os.open(links_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # private links: owner only
    with os.fdopen(fd, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["subject", "link"])
        writer.writerows((link.subject, link.link) for link in report.links)
    out.print(f"{len(report.links)} withdrawal link(s) written to {links_out}", highlight=False)


@consent_app.command("list")
def list_(
    dataset: str, as_: str | None = AS, server: str | None = remote.SERVER, token: str | None = remote.TOKEN
) -> None:
    """DATASET's consent records, by subject label."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            rows = [ConsentRecordOut.model_validate(r) for r in client.consent_records(dataset)]
    else:
        with runtime().session() as db:
            ds = catalog.dataset_by_slug(db, dataset)
            rows = [ConsentRecordOut.model_validate(r) for r in privacy.records(db, ds.id, actor=actor(db, as_))]
    table = Table("subject", "consented", "scope", "form", "status")
    for r in rows:
        status = f"withdrawn {r.withdrawn_at:%Y-%m-%d}" if r.withdrawn_at else "standing"
        table.add_row(r.subject, str(r.consented_at), r.scope, r.form_type or "–", status)
    out.print(table)


@consent_app.command()
def coverage(
    dataset: str, as_: str | None = AS, server: str | None = remote.SERVER, token: str | None = remote.TOKEN
) -> None:
    """Which labels of DATASET's latest published version have no consent record, and items with no label
    (exit status 1 when there are any)."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            cover = CoverageOut.model_validate(client.consent_coverage(dataset))
    else:
        with runtime().session() as db:
            ds = catalog.dataset_by_slug(db, dataset)
            cover = CoverageOut.of(privacy.coverage(db, ds.id, actor=actor(db, as_)))
    if cover.version is None:
        out.print("no version is published yet")
        return
    out.print(f"version {cover.version}: {cover.covered} label(s) with consent", highlight=False)
    for title, rows in (("no consent record", cover.missing), ("consent withdrawn", cover.withdrawn)):
        if rows:
            table = Table("label", "items", title=title)
            for row in rows:
                table.add_row(row.label, str(row.items))
            out.print(table)
    out.print(f"items with no subject label: {cover.unlabelled}", highlight=False)
    if cover.missing or cover.unlabelled:
        raise typer.Exit(1)  # scripts can tell "something lacks consent"


@consent_app.command()
def withdraw(
    dataset: str,
    subject: str,
    email: str = typer.Option(..., "--email", help="the subject's address: they are sent a link to follow it"),
    why: str = typer.Option("", "--why", help="what the subject wrote, if anything"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Record that SUBJECT withdrew consent (on paper): opens a removal request for their label in DATASET."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            done = WithdrawnOut.model_validate(client.withdraw_consent_for(dataset, subject, email=email, why=why))
    else:
        rt = runtime()
        with rt.session() as db:
            ds = catalog.dataset_by_slug(db, dataset)
            done = WithdrawnOut.of(
                privacy.withdraw_for(rt, db, ds.id, subject, actor=actor(db, as_), email=email, why=why)
            )
    out.print(
        f"[green]consent of {done.subject} withdrawn[/]: removal request {done.removal_request_id}, "
        f"to answer by {done.due_at:%Y-%m-%d}; {email} was sent a link to follow it",
        highlight=False,
    )

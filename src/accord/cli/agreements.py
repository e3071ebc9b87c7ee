"""accord agreement verify: check a signed agreement PDF offline, as a licensee, custodian or auditor would."""

from __future__ import annotations

from pathlib import Path

import typer

from accord.access import service as access
from accord.cli.files import read_limited
from accord.cli.main import err, out, runtime
from accord.errors import InvalidInput

app = typer.Typer(help="Signed agreements (sealed PDFs).", no_args_is_help=True)

MAX_PDF_BYTES = 50 * 1024 * 1024


@app.command()
def verify(
    pdf: Path = typer.Argument(..., help="the signed agreement PDF"),
    cert: Path | None = typer.Option(
        None, "--cert", help="the platform's certificate (PEM); default: this server's own, from its data dir"
    ),
) -> None:
    """Exit 0 if the PDF carries this platform's seal, intact and covering the whole file; else exit 1 and say
    what is wrong (edited, content appended, sealed by someone else, no seal)."""

    from accord import signing

    data = read_limited(pdf, limit=MAX_PDF_BYTES, what="agreement")
    access.require_pdf(data)
    if cert is None:
        cert = signing.installed_cert(runtime().settings.data_dir, hint="pass the server's with --cert")
    elif not cert.is_file():
        raise InvalidInput(f"cannot read the certificate {cert}")
    check = access.verify_seal(data, cert)
    if not check.ok:
        err.print(f"[bold red]not valid[/]: {check.reason}")
        raise typer.Exit(1)
    when = f", sealed {check.signed_at:%Y-%m-%d %H:%M} UTC" if check.signed_at else ""
    out.print(f"[green]valid[/]: {check.reason}{when}")

"""accord download: a licensee fetches a dataset version with an API token; parallel, resumable, verified."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from accord.cli.main import err, out
from accord.client import AccessEnded, Client, ClientError, SignatureInvalid


def register(app: typer.Typer) -> None:
    app.command()(download)


def download(
    dataset: str,
    to: Path | None = typer.Option(
        None, "--to", help="folder to put the files in (created if needed; default: ./DATASET)"
    ),
    version: str | None = typer.Option(None, "--version", help="a version label (default: the newest)"),
    server: str = typer.Option("http://127.0.0.1:8000", envvar="ACCORD_SERVER", help="Accord's address"),
    token: str = typer.Option(
        ..., envvar="ACCORD_TOKEN", help="your API token (accord user token, or the account page)"
    ),
    workers: int = typer.Option(4, min=1, max=32, help="files fetched at once"),
    signing_cert: Path | None = typer.Option(
        None,
        "--signing-cert",
        envvar="ACCORD_SIGNING_CERT",
        help="the platform certificate (PEM) the manifest must be signed with; default: the one the server "
        "publishes at /api/v1/signing-key (compare its fingerprint with the download page's)",
    ),
) -> None:
    """Download every file of a dataset version you are licensed for; a second run resumes and re-verifies.
    The manifest's signature is checked first; manifest.jsonl, manifest.sig and SHA256SUMS (for
    `sha256sum -c SHA256SUMS`) are kept in the folder."""
    to = to or Path(dataset)
    pinned = None
    if signing_cert is not None:
        try:
            pinned = signing_cert.read_bytes()
        except OSError as exc:
            err.print(f"[bold red]error:[/] cannot read the certificate {signing_cert}: {exc.strerror}")
            raise typer.Exit(2) from None
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Client(server, token, signing_cert=pinned) as client, Progress(*columns, console=out) as bar:
            task = bar.add_task(dataset, total=None)
            files = client.download(
                dataset,
                to=to,
                version=version,
                workers=workers,
                progress=lambda n: bar.advance(task, n),
                on_total=lambda count, size: bar.update(task, total=size, description=f"{dataset} ({count} files)"),
            )
    except SignatureInvalid as exc:
        err.print(f"[bold red]signature check failed:[/] {exc}", emoji=False)  # a fingerprint's :AB: is no emoji
        raise typer.Exit(7) from None  # not one of the shared codes (5 is a conflict): nothing here can be trusted
    except AccessEnded as exc:
        err.print(f"[bold red]access refused:[/] {exc}")
        _unfinished(to)
        raise typer.Exit(4) from None
    except ClientError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    source = f"the certificate in {signing_cert}" if signing_cert else "the server's published certificate"
    out.print(f"[green]{len(files)} files verified[/] in {to}; the manifest's signature checked with {source}")


def _unfinished(to: Path) -> None:
    """Files cut off by the refusal (a revocation can stop one on its way) stay as .part: say they count for
    nothing, so that no one takes the folder for a whole download."""
    parts = sorted(to.rglob("*.part")) if to.is_dir() else []
    if parts:
        err.print(
            f"{len(parts)} unfinished file(s) in {to} (*.part, e.g. {parts[0].relative_to(to)}) are incomplete "
            "and not verified; no SHA256SUMS was written"
        )

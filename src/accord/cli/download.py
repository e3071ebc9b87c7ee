"""accord download: a licensee fetches a dataset version with an API token; parallel, resumable, verified."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                           TransferSpeedColumn)

from accord.cli.main import err, out
from accord.client import AccessEnded, Client, ClientError


def register(app: typer.Typer) -> None:
    app.command()(download)


def download(dataset: str,
             to: Path = typer.Option(..., "--to", help="folder to put the files in (created if needed)"),
             version: str | None = typer.Option(None, "--version", help="a version label (default: the newest)"),
             server: str = typer.Option("http://127.0.0.1:8000", envvar="ACCORD_SERVER", help="Accord's address"),
             token: str = typer.Option(..., envvar="ACCORD_TOKEN", help="your API token (accord user token, or the "
                                                                        "account page)"),
             workers: int = typer.Option(4, min=1, max=32, help="files fetched at once")) -> None:
    """Download every file of a dataset version you are licensed for; a second run resumes and re-verifies."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    try:
        with Client(server, token) as client, Progress(*columns, console=out) as bar:
            task = bar.add_task(dataset, total=None)
            files = client.download(dataset, to=to, version=version, workers=workers,
                                    progress=lambda n: bar.advance(task, n),
                                    on_total=lambda count, size: bar.update(task, total=size,
                                                                            description=f"{dataset} ({count} files)"))
    except AccessEnded as exc:
        err.print(f"[bold red]access refused:[/] {exc}")
        raise typer.Exit(4)
    except ClientError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1)
    out.print(f"[green]{len(files)} files verified[/] in {to}")

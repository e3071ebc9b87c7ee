"""accord dataset ...: create datasets, ingest versions with a progress bar, publish, withdraw, list, show."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.catalog import service as catalog
from accord.cli.main import AS, actor, out, runtime

app = typer.Typer(help="Datasets and their versions.", no_args_is_help=True)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return ""


@app.command()
def create(
    slug: str,
    title: str = typer.Option(..., "--title"),
    custodian: str = typer.Option(..., "--custodian", help="the organisation holding the rights"),
    custodian_short: str = typer.Option(
        "", "--custodian-short", help="how the terms name the custodian after the first mention"
    ),
    contact: str = typer.Option(
        "", "--contact", help="the custodian's e-mail addresses or contact page, comma-separated"
    ),
    summary: str = typer.Option("", "--summary"),
    description: str = typer.Option("", "--description"),
    homepage: str | None = typer.Option(None, "--homepage"),
    modality: list[str] = typer.Option([], "--modality", help="e.g. visible, infrared (repeatable)"),
    subjects: int | None = typer.Option(None, "--subjects", help="people in the full release"),
    images: int | None = typer.Option(None, "--images", help="images in the full release"),
    citation: Path | None = typer.Option(None, "--citation", help="a BibTeX file", exists=True, dir_okay=False),
    as_: str | None = AS,
) -> None:
    """Add a dataset to the catalogue."""
    with runtime().session() as db:
        ds = catalog.create_dataset(
            db,
            slug=slug,
            title=title,
            custodian=custodian,
            custodian_short=custodian_short,
            custodian_contact=contact,
            summary=summary,
            description=description,
            homepage=homepage,
            modalities=modality,
            subject_count=subjects,
            image_count=images,
            citation_bibtex=citation.read_text() if citation else "",
            actor=actor(db, as_),
        )
        out.print(f"[green]created[/] dataset {ds.slug} ({ds.title})")


@app.command()
def ingest(
    slug: str,
    label: str,
    source: Path = typer.Argument(..., help="a folder, .zip, .tar or .tar.gz"),
    notes: str = typer.Option("", "--notes", help="release notes for a new version"),
    as_: str | None = AS,
) -> None:
    """Ingest files into a draft version (created if it does not exist yet, and removed if the ingest fails)."""
    rt = runtime()
    with rt.session() as db:
        who = actor(db, as_)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=out, transient=False) as bar:
        task = bar.add_task("scanning", total=None)

        def progress(done: int, total: int | None, message: str) -> None:
            bar.update(task, completed=done, total=total, description=message)

        result, created = catalog.ingest_version(rt, slug, label, source, actor=who, notes=notes, progress=progress)
    if created:
        out.print(f"created draft {slug} {label}")
    mb = result.total_bytes / 1e6
    out.print(
        f"[green]ingested[/] {result.file_count:,} files ({_size(result.total_bytes)}) into {slug} {label} "
        f"in {result.seconds:.1f} s ({mb / max(result.seconds, 1e-9):,.0f} MB/s, "
        f"{result.new_blobs:,} new blobs)"
    )
    out.print(f"root hash {result.root_hash}")
    if result.flag_count:
        out.print(f"[yellow]{result.flag_count:,} file(s) flagged[/] (review them before publishing):", markup=True)
        for flag in result.flags[:20]:
            out.print(f"  {flag['path']!r}: {flag['problem']}", markup=False, highlight=False)
        if result.flag_count > 20:
            out.print(f"  ... and {result.flag_count - 20:,} more (see the version's page)")


@app.command()
def publish(slug: str, label: str, as_: str | None = AS) -> None:
    """Publish a draft; it never changes afterwards."""
    with runtime().session() as db:
        version = catalog.publish(db, catalog.version_by_label(db, slug, label).id, actor=actor(db, as_))
        out.print(
            f"[green]published[/] {slug} {version.label}: {version.file_count:,} files, root hash {version.root_hash}"
        )


@app.command()
def withdraw(
    slug: str, label: str, reason: str = typer.Option(..., "--reason", help="why, for the record"), as_: str | None = AS
) -> None:
    """Withdraw a published version."""
    with runtime().session() as db:
        version = catalog.withdraw(
            db, catalog.version_by_label(db, slug, label).id, actor=actor(db, as_), reason=reason
        )
        out.print(f"[yellow]withdrawn[/] {slug} {version.label}")


@app.command("list")
def list_datasets(
    q: str | None = typer.Option(None, "--q", help="search words"),
    modality: str | None = typer.Option(None, "--modality"),
    custodian: str | None = typer.Option(None, "--custodian"),
    all_: bool = typer.Option(False, "--all", help="include datasets with only drafts"),
) -> None:
    """List the catalogue."""
    with runtime().session() as db:
        cards = catalog.search_datasets(db, q=q, modality=modality, custodian=custodian, include_drafts=all_)
    table = Table("slug", "title", "custodian", "modalities", "version", "files", "size")
    for c in cards:
        table.add_row(
            c.slug,
            c.title,
            c.custodian,
            ", ".join(c.modalities),
            c.latest_version or "-",
            f"{c.file_count:,}",
            _size(c.total_bytes),
        )
    out.print(table if cards else "no datasets match")


@app.command()
def show(slug: str) -> None:
    """Show a dataset and all its versions."""
    with runtime().session() as db:
        ds = catalog.dataset_by_slug(db, slug)
        out.print(f"[bold]{ds.title}[/] ({ds.slug})  custodian: {ds.custodian}")
        if ds.summary:
            out.print(ds.summary)
        if ds.homepage:
            out.print(ds.homepage)
        table = Table("version", "status", "files", "size", "root hash", "published")
        for v in ds.versions:
            table.add_row(
                v.label,
                v.status,
                f"{v.file_count:,}",
                _size(v.total_bytes),
                (v.root_hash or "-")[:16],
                v.published_at.strftime("%Y-%m-%d") if v.published_at else "-",
            )
        out.print(table)

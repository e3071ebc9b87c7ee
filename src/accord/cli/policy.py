"""accord policy ...: a dataset's licence terms as YAML/JSON; show, set, history, diff, exports."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from accord.catalog import service as catalog
from accord.cli.main import AS, actor, out, runtime
from accord.errors import InvalidInput
from accord.policy import service as policies
from accord.policy.service import dump_yaml, parse

app = typer.Typer(help="Licence terms of datasets, as data.", no_args_is_help=True)
FORMATS = ("yaml", "json", "clauses", "duo", "odrl")


@app.command()
def show(
    dataset: str,
    version: int | None = typer.Option(None, help="a past version (default: current)"),
    format: str = typer.Option("yaml", "--format", "-f", help="yaml, json, clauses, duo or odrl"),
) -> None:
    """Print the terms (an editable YAML document by default)."""
    if format not in FORMATS:
        raise InvalidInput(f"unknown format {format!r}; choose from {', '.join(FORMATS)}")
    rt = runtime()
    with rt.session() as db:
        terms = policies.get(db, catalog.dataset_by_slug(db, dataset).id, version)
        if format == "yaml":
            out.print(f"# {dataset} terms, version {terms.version}", highlight=False)
            print(dump_yaml(terms.policy), end="")
        elif format == "json":
            print(terms.policy.model_dump_json(indent=2))
        elif format == "clauses":
            for n, clause in enumerate(terms.clauses(), 1):
                out.print(f"[bold]{n}. {clause.title}.[/] {clause.text}\n", highlight=False)
        elif format == "duo":
            print(json.dumps(policies.duo(terms), indent=2))
        else:
            print(json.dumps(policies.odrl(terms, base_url=rt.settings.base_url, slug=dataset), indent=2))


@app.command("set")
def set_(
    dataset: str,
    file: Path = typer.Argument(..., help="a YAML or JSON policy document"),
    note: str = typer.Option("", help="why the terms change (kept with the version)"),
    as_: str | None = AS,
) -> None:
    """Set the terms from FILE; changed terms become a new version, identical ones change nothing."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {file}: {exc}") from None
    policy = parse(text)
    rt = runtime()
    with rt.session() as db:
        ds = catalog.dataset_by_slug(db, dataset)
        before = policies.current(db, ds.id)
        terms = policies.set_policy(db, ds.id, policy, actor=actor(db, as_), note=note, base_url=rt.settings.base_url)
    if before is not None and before.version == terms.version:
        out.print(f"{dataset}: the terms are unchanged (version {terms.version})")
    else:
        out.print(f"[green]{dataset}: terms version {terms.version} saved[/]")


@app.command()
def history(dataset: str) -> None:
    """List the versions of the terms."""
    with runtime().session() as db:
        rows = policies.versions(db, catalog.dataset_by_slug(db, dataset).id)
    table = Table("version", "set at", "note")
    for row in rows:
        table.add_row(str(row.version), row.created_at.strftime("%Y-%m-%d %H:%M"), row.note)
    out.print(table)


@app.command()
def diff(dataset: str, old: int, new: int) -> None:
    """What changed between two versions, clause by clause."""
    with runtime().session() as db:
        changes = policies.compare(db, catalog.dataset_by_slug(db, dataset).id, old, new)
    if not changes:
        out.print("no clause changed")
    for c in changes:
        out.print(f"[bold]{c.title}[/] ({c.change})", highlight=False)
        if c.old:
            out.print(f"  [red]- {c.old}[/]", highlight=False)
        if c.new:
            out.print(f"  [green]+ {c.new}[/]", highlight=False)

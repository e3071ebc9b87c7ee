"""accord derivatives|approvals|publications ...: what a licensee owes after the download, on the server with
--as (a licensee declares and asks; a reviewer of the dataset answers)."""

from __future__ import annotations

import typer
from rich.table import Table

from accord.cli.main import out, runtime
from accord.cli.remote import acting
from accord.obligations import service as obligations

derivatives_app = typer.Typer(help="Derivatives declared under a grant: declare, list, answer.", no_args_is_help=True)
approvals_app = typer.Typer(help="Requests for the custodian's approval: ask, list, answer.", no_args_is_help=True)
publications_app = typer.Typer(help="Papers that used a dataset: register, list, ask licensees.", no_args_is_help=True)

AS = typer.Option(None, "--as", help="the user acting (their roles are checked)")


def _actor(db, as_: str | None, *, shell_may: bool = False):
    """The --as user; reviewers' answers may also come from the server's shell (no --as)."""
    return "cli" if shell_may and not as_ else acting(db, as_)


# --- derivatives ---------------------------------------------------------------------------------------------


@derivatives_app.command("declare")
def declare(
    dataset: str,
    kind: str = typer.Option(..., "--kind", help="annotations | subset | processed | model | other"),
    title: str = typer.Option(..., "--title"),
    relation: str = typer.Option("", "--relation", help="how it relates to the original"),
    description: str = typer.Option("", "--description"),
    location: str = typer.Option("", "--location", help="where it lives"),
    licence: str = typer.Option("", "--licence"),
    authors: str = typer.Option("", "--authors", help="the credit, if it is listed"),
    listing: bool = typer.Option(False, "--ask-to-be-listed", help="the authors agree to be listed"),
    version: str | None = typer.Option(None, "--version", help="the version it was made from"),
    as_: str | None = AS,
) -> None:
    """Declare a derivative of DATASET under your grant in force."""
    rt = runtime()
    with rt.session() as db:
        row = obligations.declare_derivative(
            db, dataset, actor=acting(db, as_), kind=kind, title=title, relation=relation, description=description,
            location=location, licence=licence, authors=authors, wants_listing=listing, version=version,
            base_url=rt.settings.base_url,
        )  # fmt: skip
    out.print(
        f"derivative {row.id}: {row.status}" + (" (the custodian will answer)" if row.status == "pending" else "")
    )


@derivatives_app.command("list")
def list_derivatives(
    queue: bool = typer.Option(False, "--to-answer", help="those waiting for you, as a reviewer"),
    dataset: str | None = typer.Option(None, "--dataset", help="yours for this dataset (default: the public list)"),
    as_: str | None = AS,
) -> None:
    """Yours for a dataset, those waiting for you (--to-answer), or a dataset's public list."""
    rt = runtime()
    with rt.session() as db:
        if queue:
            rows = obligations.queue(db, user=_actor(db, as_, shell_may=True)).derivatives
        elif as_ and dataset:
            rows = obligations.standing(db, dataset, user=acting(db, as_)).derivatives
        elif dataset:
            rows = obligations.listed_derivatives(db, obligations.catalog.dataset_by_slug(db, dataset).id)
        else:
            raise typer.BadParameter("say --to-answer, or --dataset SLUG (with --as for yours)")
        table = Table("id", "kind", "title", "status", "listed", "authors")
        for d in rows:
            table.add_row(str(d.id), d.kind, d.title, d.status, "yes" if d.listed else "", d.authors)
    out.print(table if rows else "none")


@derivatives_app.command("decide")
def decide_derivative(
    derivative_id: int,
    approve: bool = typer.Option(None, "--approve/--refuse", help="the answer"),
    note: str = typer.Option("", "--note", help="to the licensee; needed to refuse"),
    listed: bool = typer.Option(False, "--list", help="and list it on the dataset's page"),
    as_: str | None = AS,
) -> None:
    """Approve or refuse a pending derivative (reviewers of its dataset)."""
    if approve is None:
        raise typer.BadParameter("say --approve or --refuse")
    rt = runtime()
    with rt.session() as db:
        row = obligations.decide_derivative(
            db, derivative_id, decision="approve" if approve else "refuse", actor=_actor(db, as_, shell_may=True),
            note=note, listed=listed, base_url=rt.settings.base_url,
        )  # fmt: skip
    out.print(f"derivative {row.id}: {row.status}" + (", listed" if row.listed else ""))


@derivatives_app.command("listing")
def listing(derivative_id: int, listed: bool = typer.Option(..., "--listed/--unlisted"), as_: str | None = AS) -> None:
    """List a declared derivative on its dataset's page, or stop listing it."""
    rt = runtime()
    with rt.session() as db:
        row = obligations.list_derivative(db, derivative_id, listed=listed, actor=_actor(db, as_, shell_may=True))
    out.print(f"derivative {row.id}: {'listed' if row.listed else 'not listed'}")


# --- requests for approval -------------------------------------------------------------------------------------


@approvals_app.command("ask")
def ask(
    dataset: str,
    kind: str = typer.Option(..., "--kind", help="modify | redistribute | unit | commercial"),
    description: str = typer.Option(..., "--description", help="what you want to do, and why"),
    party_name: str = typer.Option("", "--party-name", help="redistribute: who would receive it"),
    party_email: str = typer.Option("", "--party-email"),
    unit: str = typer.Option("", "--unit", help="unit: the other unit of your organisation"),
    network: list[str] = typer.Option([], "--network", help="unit: a CIDR range of it (repeat)"),
    as_: str | None = AS,
) -> None:
    """Ask DATASET's custodian for what its terms allow only with approval."""
    rt = runtime()
    with rt.session() as db:
        row = obligations.ask_approval(
            db, dataset, actor=acting(db, as_), kind=kind, description=description, party_name=party_name,
            party_email=party_email, unit=unit, networks=network, base_url=rt.settings.base_url,
        )  # fmt: skip
    out.print(f"request {row.id}: pending")


@approvals_app.command("list")
def list_requests(
    dataset: str | None = typer.Option(None, "--dataset", help="yours for this dataset"), as_: str | None = AS
) -> None:
    """Yours for a dataset (--dataset, --as), else those waiting for you as a reviewer."""
    rt = runtime()
    with rt.session() as db:
        if dataset:
            rows = obligations.standing(db, dataset, user=acting(db, as_)).requests
        else:
            rows = obligations.queue(db, user=_actor(db, as_, shell_may=True)).requests
        table = Table("id", "kind", "about", "status", "conditions")
        for r in rows:
            table.add_row(str(r.id), r.kind, r.unit or r.party_email, r.status, r.conditions)
    out.print(table if rows else "none")


@approvals_app.command("decide")
def decide_request(
    request_id: int,
    approve: bool = typer.Option(None, "--approve/--refuse", help="the answer"),
    conditions: str = typer.Option("", "--conditions", help="what an approval is subject to"),
    note: str = typer.Option("", "--note", help="to the licensee; needed to refuse"),
    network: list[str] = typer.Option([], "--network", help="a unit's range to allow (repeat; default: all asked)"),
    as_: str | None = AS,
) -> None:
    """Approve or refuse a request (reviewers of its dataset)."""
    if approve is None:
        raise typer.BadParameter("say --approve or --refuse")
    rt = runtime()
    with rt.session() as db:
        row = obligations.decide_approval(
            db, request_id, decision="approve" if approve else "refuse", actor=_actor(db, as_, shell_may=True),
            conditions=conditions, note=note, networks=network or None, base_url=rt.settings.base_url,
        )  # fmt: skip
    out.print(f"request {row.id}: {row.status}")


# --- publications ----------------------------------------------------------------------------------------------


@publications_app.command("add")
def add(
    dataset: str,
    doi: str = typer.Option("", "--doi"),
    arxiv: str = typer.Option("", "--arxiv"),
    title: str = typer.Option("", "--title"),
    year: int | None = typer.Option(None, "--year"),
    venue: str = typer.Option("", "--venue"),
    version: str | None = typer.Option(None, "--version", help="the version the paper used"),
    as_: str | None = AS,
) -> None:
    """Register a paper of yours that used DATASET (a DOI, an arXiv id or a title; checked for form only)."""
    rt = runtime()
    with rt.session() as db:
        row = obligations.register_publication(
            db, dataset, actor=acting(db, as_), title=title, doi_=doi, arxiv_=arxiv, year=year, venue=venue,
            version=version,
        )  # fmt: skip
    out.print(f"publication {row.id} registered")


@publications_app.command("list")
def list_papers(dataset: str) -> None:
    """The papers registered for DATASET (public)."""
    rt = runtime()
    with rt.session() as db:
        rows = obligations.publications_of_dataset(db, obligations.catalog.dataset_by_slug(db, dataset).id)
        table = Table("id", "year", "title", "doi", "arxiv")
        for p in rows:
            table.add_row(str(p.id), str(p.year or ""), p.title, p.doi or "", p.arxiv or "")
    out.print(table if rows else "none")


@publications_app.command("ask")
def ask_papers(dataset: str, as_: str | None = AS) -> None:
    """E-mail every licensee in force of DATASET to register their papers (reviewers)."""
    rt = runtime()
    with rt.session() as db:
        ds = obligations.catalog.dataset_by_slug(db, dataset)
        n = obligations.ask_for_publications(
            db, ds.id, actor=_actor(db, as_, shell_may=True), base_url=rt.settings.base_url
        )
    out.print(f"asked {n} licensee(s)")

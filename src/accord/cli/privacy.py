"""accord privacy ...: the privacy desk from a terminal. Curators (on the server, --as) list removal requests,
look at one, search for its files and decide; a licensee lists their deletion notices and applies one to a local
copy (`apply` deletes the files, checks by hash that none is left and attests), on a server with --token or here
with --as."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from accord import errors
from accord.cli import anonymise, remote
from accord.cli.consent import consent_app
from accord.cli.main import AS, actor, out, runtime

privacy_app = typer.Typer(
    help="The people in the images: removal requests, deletion notices, consent records.", no_args_is_help=True
)
privacy_app.add_typer(consent_app, name="consent")


def _day(t) -> str:
    return t.strftime("%Y-%m-%d") if t else ""


@privacy_app.command("requests")
def requests_(all_: bool = typer.Option(False, "--all", help="decided requests too"), as_: str | None = AS) -> None:
    """Removal requests for the datasets you curate, the most urgent first."""
    from accord.privacy import service as privacy

    with runtime().session() as db:
        who = actor(db, as_)
        privacy.require_any_desk(who)
        rows = privacy.queue(db, actor=who, include_closed=all_)
        table = Table("id", "dataset", "status", "received", "answer due", "what")
        for r in rows:
            due = _day(r.request.due_at)
            if r.request.status in ("received", "under_review"):
                due += f" ({-r.days_left} days overdue)" if r.overdue else f" ({r.days_left} days left)"
            table.add_row(
                str(r.request.id), r.dataset, r.request.status, _day(r.request.proven_at), due, r.request.what[:60]
            )
    out.print(table if rows else "no open removal requests")


def _print_matches(found) -> None:
    table = Table("item", "path", "subject", "method", "score", "selected")
    for m in found:
        table.add_row(
            str(m.match.item_id), m.path, m.subject or "", m.match.method, f"{m.match.score:.2f}",
            "yes" if m.match.selected else "",
        )  # fmt: skip
    out.print(table if found else "no files found yet")


@privacy_app.command()
def show(request_id: int, as_: str | None = AS) -> None:
    """One removal request: what the person asks, the legal clock, and the files found so far."""
    from accord.privacy import service as privacy

    with runtime().session() as db:
        req = privacy.get(db, request_id, actor=actor(db, as_))
        out.print(f"request {req.id}: [bold]{req.status}[/], answer due {_day(req.due_at)}", highlight=False)
        out.print(f"  asks: {req.what}", highlight=False)
        if req.why:
            out.print(f"  why: {req.why}", highlight=False)
        out.print(f"  labels given: {', '.join(req.labels) or 'none'}; files given: {', '.join(req.paths) or 'none'}")
        if req.decision_reason:
            out.print(f"  decision: {req.decision_reason}", highlight=False)
        _print_matches(privacy.matches(db, req))


@privacy_app.command()
def search(
    request_id: int,
    label: list[str] = typer.Option([], "--label", help="a subject label to look for (repeatable)"),
    path: list[str] = typer.Option([], "--path", help="a file name or pattern such as 0421_*.jpg (repeatable)"),
    photo: Path | None = typer.Option(None, "--photo", help="search by face with this photo (not kept)"),
    their_photo: bool = typer.Option(False, "--their-photo", help="search by face with the requester's photo"),
    as_: str | None = AS,
) -> None:
    """Find the request's files in the dataset's current version: by what the person gave, or by --label/--path;
    by face and near-duplicate with --photo FILE or --their-photo."""
    from accord.privacy import service as privacy

    rt = runtime()
    with rt.session() as db:
        who = actor(db, as_)
        if photo is not None or their_photo:
            if photo is not None and not photo.is_file():
                raise errors.InvalidInput(f"{photo} is not a file", field="photo")
            data = photo.read_bytes() if photo is not None else None
            done = privacy.photo_search(rt, db, request_id, actor=who, photo=data)
            faces = f"{done.faces_in_photo} face(s)" if done.faces_in_photo else "no face (near-duplicates only)"
            out.print(f"{faces} in the photo; {done.found} file(s) found, {done.added} new", highlight=False)
            if done.unindexed:
                out.print(f"  {done.unindexed:,} image(s) are not indexed yet and were not searched", highlight=False)
            found = done.matches
        else:
            given = bool(label or path)
            found = privacy.search(
                db, request_id, actor=who, labels=label if given else None, paths=path if given else None
            )
    _print_matches(found)


@privacy_app.command()
def decide(
    request_id: int,
    accept: bool = typer.Option(False, "--accept", help="remove the chosen files"),
    decline: bool = typer.Option(False, "--decline", help="decline the request (--reason says why)"),
    every: bool = typer.Option(False, "--all", help="with --accept: every file found"),
    item: list[int] = typer.Option([], "--item", help="with --accept: a file found, by item id (repeatable)"),
    label: list[str] = typer.Option([], "--label", help="with --accept: every file found of this subject"),
    note: str = typer.Option("", "--note", help="with --accept: told to the requester"),
    reason: str = typer.Option("", "--reason", help="with --decline: told to the requester"),
    as_: str | None = AS,
) -> None:
    """Accept (a new version without the chosen files; deletion notices to licensees) or decline with a reason."""
    from accord.privacy import service as privacy

    if accept == decline:
        raise errors.InvalidInput("say --accept or --decline")
    rt = runtime()
    with rt.session() as db:
        who = actor(db, as_)
        if decline:
            privacy.decline(rt, db, request_id, actor=who, reason=reason)
            out.print(f"[green]request {request_id} declined; the requester is told why[/]")
            return
        if every or item or label:
            chosen = {m.match.item_id for m in privacy.matches(db, privacy.get(db, request_id, actor=who))}
            privacy.select_matches(db, request_id, chosen if every else set(item), actor=who, labels=label)
        req = privacy.accept(rt, db, request_id, actor=who, note=note)
        out.print(
            f"[green]{req.removed_count} file(s) removed[/]: version {req.old_version_id} withdrawn, "
            f"version {req.new_version_id} published; deletion notices sent",
            highlight=False,
        )


@privacy_app.command()
def notices(as_: str | None = AS, server: str | None = remote.SERVER, token: str | None = remote.TOKEN) -> None:
    """Your deletion notices: which files to delete, by when, and whether you have attested."""
    rows = _notices(server, token, as_)
    table = Table("notice", "dataset", "files to delete", "due", "answered")
    for n in rows:
        table.add_row(
            str(n["id"]),
            n["dataset"],
            str(len(n["files"])) if n["kind"] == "delete" else "none (the dataset changed)",
            str(n["due_at"])[:10],
            str(n["attested_at"])[:10] if n["attested_at"] else "waiting for you",
        )
    out.print(table if rows else "no deletion notices")


def _notices(server, token, as_) -> list[dict]:
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            return client.notices()
    from accord.privacy import service as privacy

    with runtime().session() as db:
        return [_out(db, n) for n in privacy.notices_for(db, remote.acting(db, as_))]


def _out(db, notice) -> dict:
    from accord.catalog import service as catalog
    from accord.privacy.schemas import NoticeOut

    return NoticeOut.of(notice, catalog.dataset_by_id(db, notice.dataset_id).slug).model_dump()


@privacy_app.command()
def apply(
    notice_id: int,
    to: Path = typer.Option(..., "--to", help="the folder `accord download` wrote the dataset to"),
    dry_run: bool = typer.Option(False, "--dry-run", help="say what would be deleted; delete and attest nothing"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Delete a notice's files from a local copy, check by hash that none is left (renamed copies too), update
    the kept manifest and SHA256SUMS, and attest."""
    from accord.client import ClientError
    from accord.client_privacy import apply_notice

    over_api = remote.wanted(server, token, as_)
    notice = _notice(server, token, as_, notice_id, over_api)
    if notice["kind"] != "delete":
        out.print(f"notice {notice_id} lists nothing to delete: the dataset changed, nothing else to do")
        return
    with Progress(TextColumn("checking for copies"), BarColumn(), MofNCompleteColumn(), console=out) as bar:
        task = bar.add_task("check", total=None)
        try:
            report = apply_notice(
                to, notice["files"], notice_id=notice_id, dry_run=dry_run, progress=lambda n: bar.advance(task, n)
            )
        except ClientError as exc:
            raise errors.Conflict(str(exc)) from None
    verb = "would delete" if dry_run else "deleted"
    out.print(f"{verb} {len(report.deleted)} listed file(s) and {len(report.copies)} other copy(ies)", highlight=False)
    for path in report.copies:
        out.print(f"  copy: {path}", highlight=False)
    if report.absent:
        out.print(f"  {len(report.absent)} listed file(s) were not in {to}", highlight=False)
    for path in report.differ:
        out.print(f"  left alone (different content): {path}", highlight=False)
    if dry_run:
        return
    if notice["attested_at"]:
        out.print(f"notice {notice_id} was already attested")
        return
    _attest(server, token, as_, notice_id, over_api)
    out.print(f"[green]notice {notice_id} attested[/]: no file with removed content is left in {to}")


def _notice(server, token, as_, notice_id: int, over_api: bool) -> dict:
    if over_api:
        with remote.connect(server, token) as client:
            return client.notice(notice_id)
    from accord.privacy import service as privacy

    with runtime().session() as db:
        return _out(db, privacy.notice(db, notice_id, user=remote.acting(db, as_)))


def _attest(server, token, as_, notice_id: int, over_api: bool) -> None:
    if over_api:
        with remote.connect(server, token) as client:
            client.attest(notice_id)
        return
    from accord.privacy import service as privacy

    with runtime().session() as db:
        privacy.attest(db, notice_id, user=remote.acting(db, as_), confirmed=True)


privacy_app.command("anonymise")(anonymise.anonymise)
privacy_app.command("anonymisation")(anonymise.anonymisation)
privacy_app.command("review-file")(anonymise.review_file)

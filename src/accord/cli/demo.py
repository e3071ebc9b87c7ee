"""`accord demo`: migrate, create the demo accounts, load the four seed datasets, optionally serve."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord import dbmigrate
from accord.cli import main as cli
from accord.demo import load
from accord.demo.images import FULL, SMALL
from accord.runtime import build


def register(app: typer.Typer) -> None:
    app.command()(demo)


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1000
    return str(n)


def _load_with_progress(rt, scale) -> load.DemoReport:
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=cli.out,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(slug: str, done: int, total: int | None, message: str) -> None:
            if slug not in tasks:
                tasks[slug] = bar.add_task(slug, total=None)
            bar.update(tasks[slug], completed=done, total=total, description=f"[bold]{slug}[/] {message}")

        return load.run(rt, scale=scale, progress=progress)


def _print_report(report: load.DemoReport, url: str) -> None:
    table = Table("dataset", "version", "files", "size", "preview", "this run", title="Demo catalogue")
    for d in report.datasets:
        table.add_row(
            d.slug,
            f"{d.version} {d.status}",
            f"{d.file_count:,}",
            _size(d.total_bytes),
            str(d.preview_count),
            "loaded" if d.changed else "unchanged",
        )
    cli.out.print(table)
    logins = Table(title="Demo logins")
    logins.add_column("e-mail", no_wrap=True)
    logins.add_column("password", no_wrap=True)
    logins.add_column("role")
    logins.add_column("this run")
    for u in report.users:
        logins.add_row(u.user.email, u.user.password, u.user.role, "created" if u.created else "unchanged")
    cli.out.print(logins)
    for u in report.users:
        cli.out.print(f"  [bold]{u.user.email}[/]: {u.user.story}", highlight=False)
    name, domain = load.DEMO_ORGANISATION
    cli.out.print(
        f"Registered organisation: {name}, {domain} "
        f"({'registered' if report.organisation_created else 'unchanged'}). An application for CION-AL "
        "names a signatory: sign in as the admin and open their link from the mail outbox, /admin/outbox."
    )
    if report.privacy and report.privacy.selfie:
        cli.out.print(
            f"Selfie for the privacy desk: [bold]{report.privacy.selfie}[/] (the astronaut, who is in LLVIP and "
            "SHHQ): open a dataset page → Are you in this dataset? → attach this photo.",
            highlight=False,
        )
    if not report.changed:
        cli.out.print("[green]Nothing to do:[/] the demo accounts and catalogue were already in place.")
    cli.out.print(
        f"Open [bold]{url}[/] and sign in with a login above "
        "(passwords of accounts that already existed are left as they were)."
    )


def demo(
    serve: bool = typer.Option(False, "--serve", help="serve the app after loading"),
    host: str = typer.Option("127.0.0.1", help="address to listen on (with --serve)"),
    port: int = typer.Option(8000, help="TCP port (with --serve)"),
    reset: bool = typer.Option(False, "--reset", help="delete the embedded database and blobs first, then load afresh"),
    small: bool = typer.Option(False, "--small", hidden=True, help="a few images per dataset (tests)"),
) -> None:
    """Load the demo catalogue (LLVIP, CION-AL, AT-USTC, SHHQ) and demo logins; needs ACCORD_DEMO=true."""
    if serve:
        from accord.cli.serve import own_address

        own_address(host, port)  # before the load: its mails carry links too
    rt = cli.runtime()
    load.require_demo_mode(rt.settings)
    if reset:
        rt.engine.dispose()
        for path in load.reset(rt.settings):
            cli.out.print(f"[yellow]removed[/] {path}")
        rt = build(rt.settings)
        cli.use_runtime(rt)
    dbmigrate.upgrade(rt.engine)
    report = _load_with_progress(rt, SMALL if small else FULL)
    _print_report(report, f"http://{host}:{port}" if serve else rt.settings.base_url)
    if serve:
        from accord.cli import serve as serve_cli  # imported late: it pulls in the web server

        serve_cli.serve(host=host, port=port, workers=1, reload=False, no_worker=False)

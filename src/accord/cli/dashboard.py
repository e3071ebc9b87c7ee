"""accord dashboard [DATASET] [--weeks N]: the custodian's dashboard as tables, across the datasets you curate
(administrators and the server's shell: all) or for one. With --token (or ACCORD_TOKEN) over the API as
yourself; without one on the server's own database, as the user named by --as (default: the server's shell)."""

from __future__ import annotations

import typer
from rich.table import Table

from accord.cli import remote
from accord.cli.main import actor, out, runtime
from accord.insights import service as insights
from accord.insights.schemas import Chart, Dashboard

AS = typer.Option(None, "--as", help="act as this user, on the server's own database (default: the server's shell)")


def register(app: typer.Typer) -> None:
    app.command(name="dashboard")(dashboard)


def dashboard(
    dataset: str | None = typer.Argument(None, help="a dataset's slug (default: every dataset you curate)"),
    weeks: int = typer.Option(
        insights.WEEKS, min=insights.MIN_WEEKS, max=insights.MAX_WEEKS, help="how many weeks, ending with this one"
    ),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Print the dashboard's numbers: applications by outcome, time to a decision, grants, downloads, licensees'
    organisations and countries, obligations."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            board = Dashboard.model_validate(client.dashboard(dataset, weeks=weeks))
    else:
        with runtime().session() as db:
            board = insights.dashboard(db, viewer=actor(db, as_), dataset=dataset, weeks=weeks)
    show(board)


def show(board: Dashboard) -> None:
    scope = board.dataset or ", ".join(board.datasets) or "no dataset"
    out.print(f"[bold]Dashboard[/]: {scope} · {board.weeks} weeks from {board.since:%Y-%m-%d} (UTC)", highlight=False)
    figures = Table("In short", "", title=None, show_header=False)
    for f in board.figures:
        figures.add_row(f.label, insights.amount(f.value, f.unit))
    out.print(figures)
    for chart in board.charts:
        out.print(_table(chart))


def _table(chart: Chart) -> Table:
    table = Table(title=f"{chart.title} ({chart.key}.csv)", title_justify="left")
    table.add_column(chart.category.capitalize())
    for s in chart.series:
        table.add_column(s.label, justify="right")
    for i, name in enumerate(chart.categories):
        cells = [insights.amount(s.values[i], chart.unit if s.drawn else "") for s in chart.series]
        table.add_row(insights.period(name, chart.category), *cells)
    return table

import typer

from accord import dbmigrate
from accord.cli.main import out, runtime

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    rt = runtime()
    dbmigrate.upgrade(rt.engine, revision)
    out.print(f"[green]database at {revision}[/] ({rt.engine.url.render_as_string(hide_password=True)})")

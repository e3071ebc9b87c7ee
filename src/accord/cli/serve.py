import typer


def register(app: typer.Typer) -> None:
    """serve, worker and demo are top-level commands (filled in by the jobs/demo work)."""

"""`accord serve` (web app plus an in-process job worker) and `accord worker` (a job worker alone)."""

from __future__ import annotations

import logging
import multiprocessing
import os

import typer

from accord.cli.main import out, runtime, use_runtime
from accord.errors import InvalidInput

APP_FACTORY = "accord.web.asgi:create"


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)


def own_address(host: str, port: int) -> None:
    """Links in mails and on pages name the address being served (`make demo PORT=8765`), unless ACCORD_BASE_URL
    names another (a proxy's, a public name). Set in the environment, so the web server's processes inherit it;
    the command's runtime is built again with it."""
    if os.environ.get("ACCORD_BASE_URL") or host in ("0.0.0.0", "::"):  # all interfaces: no one name to give
        return
    os.environ["ACCORD_BASE_URL"] = f"http://{host}:{port}"
    use_runtime(None)


def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="TCP port"),
    workers: int = typer.Option(0, min=0, help="web server processes (0: one per CPU core)"),
    reload: bool = typer.Option(False, help="restart on code changes (development; uses uvicorn)"),
    no_worker: bool = typer.Option(False, "--no-worker", help="do not run background jobs here (run `accord worker`)"),
) -> None:
    """Serve the web app and API, with a background job worker in the same process."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Here the worker is a helper of the web app: its start-up banner and a line per job would bury the address
    # and the demo's logins. Jobs show on their pages; problems are still logged. `accord worker` keeps INFO.
    logging.getLogger("huey").setLevel(logging.WARNING)
    own_address(host, port)
    rt = runtime()
    consumer = None
    if not no_worker and not rt.settings.jobs_immediate:
        consumer = rt.huey.create_consumer(workers=1, worker_type="thread")
        consumer.start()
        where = "Redis" if rt.settings.redis_url else rt.settings.data_dir / "jobs.db"
        out.print(f"[green]job worker running[/] (queue: {where})")
    url = f"http://{host}:{port}"
    out.print(f"[bold]Accord is running at[/] [link={url}]{url}[/]  (Ctrl-C to stop)")
    try:
        if reload:
            import uvicorn

            uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, reload=True)
        else:
            _granian(host, port, workers or os.cpu_count() or 1)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)


def _granian(host: str, port: int, workers: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    # Web workers are fresh processes: forking after the job worker's threads started would copy its locks.
    multiprocessing.set_start_method("spawn", force=True)
    Granian(
        APP_FACTORY, address=host, port=port, interface=Interfaces.ASGI, workers=workers, factory=True, log_access=False
    ).serve()


def worker(
    threads: int = typer.Option(2, min=1, help="jobs run at the same time"),
    periodic: bool = typer.Option(
        True, help="also schedule periodic tasks (mail); keep it on in one worker only when several share a Redis queue"
    ),
) -> None:
    """Run background jobs only (e.g. several of these against Redis)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    rt = runtime()
    if rt.settings.jobs_immediate:
        raise InvalidInput("ACCORD_JOBS_IMMEDIATE is set: jobs run inline, there is nothing to consume")
    where = rt.settings.redis_url or rt.settings.data_dir / "jobs.db"
    out.print(f"[green]job worker[/] with {threads} thread(s) on {where}")
    rt.huey.create_consumer(workers=threads, worker_type="thread", periodic=periodic).run()

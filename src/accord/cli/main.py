"""The `accord` command. Each group lives in its own module; all of them call services, nothing else."""

from __future__ import annotations

import sys
import weakref
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from accord import errors

if TYPE_CHECKING:
    from accord.runtime import Runtime

app = typer.Typer(
    name="accord",
    help="Accord: licence-gated distribution of human-subject image datasets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, emoji=False)  # ":ab:" in a fingerprint or a hash must print as it is
out = Console(emoji=False)

_runtime: Runtime | None = None
_registered: weakref.WeakSet[typer.Typer] = weakref.WeakSet()  # apps _register has added the groups to
# Commands that run on a licensee's machine import only what they need: `accord download` starts in a fraction of
# the time the full command set (database, web framework) takes to import.
LIGHT = {"download": "accord.cli.download"}


def runtime() -> Runtime:
    """The runtime for this invocation, built from ACCORD_* settings on first use."""
    global _runtime
    if _runtime is None:
        from accord.config import Settings
        from accord.runtime import build

        _runtime = build(Settings())
    return _runtime


AS = typer.Option(None, "--as", help="act as this user (their roles are checked); default: the server's shell")


def actor(db, email: str | None):
    """The user named by --as, or the server's shell ("cli"), whose operator already holds the data dir."""
    if not email:
        return "cli"
    from accord.identity import service as identity

    return identity.user_by_email(db, email)


def use_runtime(rt: Runtime | None) -> None:
    """Tests hand in their own runtime."""
    global _runtime
    _runtime = rt


def _register(target: typer.Typer) -> typer.Typer:
    """Every command group, added once to `target` on first use."""
    if target in _registered:
        return target
    _registered.add(target)
    from accord.cli import (
        agreements,
        applications,
        audit,
        dashboard,
        datasets,
        db,
        demo,
        download,
        export,
        grants,
        manifest,
        obligations,
        organisations,
        policy,
        privacy,
        serve,
        storage,
        terms,
        training,
        users,
    )

    target.add_typer(db.app, name="db")
    target.add_typer(users.app, name="user")
    target.add_typer(datasets.app, name="dataset")
    target.add_typer(policy.app, name="policy")
    target.add_typer(audit.app, name="audit")
    target.add_typer(applications.app, name="applications")
    target.add_typer(grants.app, name="grants")
    target.add_typer(terms.app, name="terms")
    target.add_typer(training.app, name="training")
    target.add_typer(agreements.app, name="agreement")
    target.add_typer(manifest.app, name="manifest")
    target.add_typer(storage.app, name="storage")
    target.add_typer(organisations.app, name="organisations")
    target.add_typer(privacy.privacy_app, name="privacy")
    target.add_typer(obligations.derivatives_app, name="derivatives")
    target.add_typer(obligations.approvals_app, name="approvals")
    target.add_typer(obligations.publications_app, name="publications")
    applications.register(target)
    serve.register(target)
    demo.register(target)
    download.register(target)
    export.register(target)
    dashboard.register(target)
    return target


def _app_for(argv: list[str]) -> typer.Typer:
    if argv and argv[0] in LIGHT:
        import importlib

        light = typer.Typer(name="accord", no_args_is_help=True, pretty_exceptions_enable=False)
        importlib.import_module(LIGHT[argv[0]]).register(light)
        light.command(name="_", hidden=True)(lambda: None)  # two commands: Typer keeps the subcommand name
        return light
    return _register(app)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        code = _app_for(argv)(args=argv, standalone_mode=False)
        if isinstance(code, int) and code:  # `raise typer.Exit(n)` comes back as a return value here
            sys.exit(code)
    except errors.AccordError as exc:
        err.print(f"[bold red]error:[/] {exc.message}")
        sys.exit(errors.lookup(errors.EXIT_CODE, exc))
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # usage errors: missing arguments, bad option values
        # Typer now ships its own copy of click, so match click's base class by name in either copy.
        if any(cls.__name__ == "ClickException" for cls in type(exc).__mro__):
            click_exc: Any = exc  # a ClickException of one of the two copies: either has show and exit_code
            click_exc.show()
            sys.exit(click_exc.exit_code)
        if _is_unmigrated(exc):  # e.g. run from another folder: a new empty ./var, not the instance's
            where = _runtime.settings.data_dir.resolve() if _runtime is not None else "the data folder"
            err.print(
                f"[bold red]error:[/] the database in {where} has no tables yet: run `accord db upgrade` there, or "
                "point ACCORD_DATA_DIR (or ACCORD_DATABASE_URL) at an instance's data, such as the ./var that "
                "`make demo` fills"
            )
            sys.exit(errors.lookup(errors.EXIT_CODE, errors.NotFound("")))
        raise


def _is_unmigrated(exc: BaseException) -> bool:
    """A query on a database nobody migrated: SQLite's "no such table", PostgreSQL's undefined table."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    text = str(getattr(exc, "orig", exc))
    return isinstance(exc, (OperationalError, ProgrammingError)) and (
        "no such table" in text or ("relation" in text and "does not exist" in text)
    )


if __name__ == "__main__":
    main()

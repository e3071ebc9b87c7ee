"""The `accord` command. Each group lives in its own module; all of them call services, nothing else."""
from __future__ import annotations

import sys

import typer
from rich.console import Console

from accord import errors
from accord.config import Settings
from accord.runtime import Runtime, build

app = typer.Typer(name="accord", help="Accord: license-gated distribution of human-subject image datasets.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
err = Console(stderr=True)
out = Console()

_runtime: Runtime | None = None


def runtime() -> Runtime:
    """The runtime for this invocation, built from ACCORD_* settings on first use."""
    global _runtime
    if _runtime is None:
        _runtime = build(Settings())
    return _runtime


def use_runtime(rt: Runtime | None) -> None:
    """Tests hand in their own runtime."""
    global _runtime
    _runtime = rt


def _register() -> None:
    from accord.cli import applications, audit, datasets, db, demo, download, grants, policy, serve, users

    app.add_typer(db.app, name="db")
    app.add_typer(users.app, name="user")
    app.add_typer(datasets.app, name="dataset")
    app.add_typer(policy.app, name="policy")
    app.add_typer(audit.app, name="audit")
    app.add_typer(applications.app, name="applications")
    app.add_typer(grants.app, name="grants")
    applications.register(app)
    serve.register(app)
    demo.register(app)
    download.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    try:
        code = app(args=argv, standalone_mode=False)
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
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()

"""Running `accord ...` in-process, the way a shell would: the exit code, never a SystemExit."""

from __future__ import annotations

from accord.cli import main as cli


def run(*args: str) -> int:
    try:
        cli.main(list(args))
    except SystemExit as exc:
        return exc.code
    return 0

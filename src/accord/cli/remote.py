"""Where a personal command runs: with an API token, on an Accord server over /api/v1 as the token's owner (an
applicant's or reviewer's laptop); without one, on this machine's database as the user named by --as (the
server's own shell). Both print the same; a server's refusal becomes the same error and exit code as here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from accord import errors

DEFAULT_SERVER = "http://127.0.0.1:8000"
SERVER = typer.Option(
    None,
    "--server",
    envvar="ACCORD_SERVER",
    help=f"the Accord server to talk to with --token (default {DEFAULT_SERVER})",
)
TOKEN = typer.Option(
    None,
    "--token",
    envvar="ACCORD_TOKEN",
    help="your API token (account page): act as yourself on the server; "
    "without one, the command uses this machine's database with --as",
)
# How the API's statuses map back to our errors, so the exit code is the one a local run would give.
_BY_STATUS = {status: cls for cls, status in errors.HTTP_STATUS.items()}


def wanted(server: str | None, token: str | None, as_: str | None) -> bool:
    """True when the command goes over the API; refuses a mix of the two modes."""
    if token and as_:
        raise errors.InvalidInput(
            "--as names a user on the server's own database; with a token you act as the "
            "token's owner (leave out --as, or --token and ACCORD_TOKEN)"
        )
    if server and not token:
        raise errors.InvalidInput(f"talking to {server} needs your API token: --token or ACCORD_TOKEN")
    return bool(token)


def acting(db, email: str | None):
    """The user named by --as. Applying, uploading and deciding are personal acts, recorded under a person's
    name: there is no anonymous shell actor for them."""
    from accord.identity import service as identity

    if not email:
        raise errors.InvalidInput(
            "say who is acting: --token (or ACCORD_TOKEN) to act as yourself on a server, "
            "or --as EMAIL on the server itself"
        )
    return identity.user_by_email(db, email)


def error(exc) -> errors.AccordError:
    """A client error as the error a local run raises: the server's words, its status's exit code."""
    cls = _BY_STATUS.get(exc.status or 0, errors.AccordError)
    if cls is errors.RateLimited:
        return errors.RateLimited(str(exc), retry_after=0)
    return cls(str(exc))


@contextmanager
def connect(server: str | None, token: str | None) -> Iterator:
    from accord.client import Client, ClientError

    if not token:  # callers ask `wanted` first; this says so to the type checker too
        raise errors.InvalidInput("talking to a server needs your API token: --token or ACCORD_TOKEN")
    try:
        with Client(server or DEFAULT_SERVER, token, retries=3) as client:
            yield client
    except ClientError as exc:
        raise error(exc) from None

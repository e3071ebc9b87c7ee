"""accord terms ...: a licensee whose access paused because the terms changed reads what changed and accepts.

With --token (or ACCORD_TOKEN) on the licensee's own machine over the API; without one on the server with --as."""

from __future__ import annotations

from dataclasses import asdict

import typer

from accord.catalog import service as catalog
from accord.cli import remote
from accord.cli.main import AS, out, runtime
from accord.entitlements import service as entitlements
from accord.entitlements.schemas import EntitlementOut
from accord.errors import InvalidInput
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.schemas import ClauseChangeOut

app = typer.Typer(help="Accept a dataset's changed terms so your paused access resumes.", no_args_is_help=True)


def _licensee(db, email: str | None):
    # Accepting terms is a personal act recorded under the licensee's name: no anonymous shell actor.
    if not email:
        raise InvalidInput(
            "say who you are: --token (or ACCORD_TOKEN) on your own machine, or --as EMAIL "
            "(the licensee who holds the access) on the server"
        )
    return identity.user_by_email(db, email)


def _print_changes(changes: list[ClauseChangeOut]) -> None:
    for n, c in enumerate(changes, 1):
        out.print(f"[bold]{n}. {c.title}[/] ({c.change})", highlight=False)
        if c.old:
            out.print(f"  [red]- {c.old}[/]", highlight=False)
        if c.new:
            out.print(f"  [green]+ {c.new}[/]", highlight=False)


@app.command()
def diff(
    dataset: str, as_: str | None = AS, server: str | None = remote.SERVER, token: str | None = remote.TOKEN
) -> None:
    """What changed, clause by clause, between the terms you accepted and DATASET's current terms."""
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            ent = EntitlementOut.model_validate(client.entitlement(dataset))
            current = client.terms(dataset)["version"]
            changes = (
                [ClauseChangeOut.model_validate(c) for c in client.terms_diff(dataset, ent.policy_version, current)]
                if ent.policy_version < current
                else []
            )
    else:
        with runtime().session() as db:
            user = _licensee(db, as_)
            ds = catalog.visible_dataset(db, dataset, user)
            ent = EntitlementOut.model_validate(entitlements.newest(db, user, ds.id))
            current = policies.get(db, ds.id).version
            changes = (
                [ClauseChangeOut(**asdict(c)) for c in policies.compare(db, ds.id, ent.policy_version, current)]
                if ent.policy_version < current
                else []
            )
    if ent.revoked_at is not None:
        out.print(
            f"your access to {dataset} was ended on {ent.revoked_at:%Y-%m-%d}: {ent.revoke_reason}", highlight=False
        )
        return
    if not changes:
        out.print(
            f"you accepted the current terms of {dataset} (version {current}); nothing to accept", highlight=False
        )
        return
    out.print(f"{dataset}: the terms changed from version {ent.policy_version} (yours) to {current}", highlight=False)
    _print_changes(changes)
    out.print(
        f'\naccept them with: accord terms accept {dataset} --version {current} --name "Your Name"', highlight=False
    )


@app.command()
def accept(
    dataset: str,
    name: str = typer.Option(..., "--name", help="your full name, as your signature"),
    version: int | None = typer.Option(None, "--version", help="the terms version you read (default: the current one)"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Accept DATASET's current terms (read them with `accord terms diff`); your paused access resumes."""
    if len(name.strip()) < 2:
        raise InvalidInput("type your full name to sign", field="name")
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            ent = client.entitlement(dataset)
            before = ent["policy_version"]
            if version is None:
                version = client.terms(dataset)["version"]
            after = client.accept_terms(ent["id"], version, name)["policy_version"]
    else:
        with runtime().session() as db:
            user = _licensee(db, as_)
            ds = catalog.visible_dataset(db, dataset, user)
            ent = entitlements.newest(db, user, ds.id)
            before = ent.policy_version
            if version is None:
                version = policies.get(db, ds.id).version
            after = entitlements.reaccept(db, ent.id, actor=user, version=version, signed_as=name).policy_version
    if before == after:
        out.print(f"you had already accepted version {version} of {dataset}'s terms; nothing changed", highlight=False)
    else:
        out.print(
            f"[green]you accepted version {version} of {dataset}'s terms; your access has resumed[/]", highlight=False
        )

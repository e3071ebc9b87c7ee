"""A published dataset of 8 images over two subjects, its LLVIP-like terms, a curator, and licensees whose
download log says which files each received."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.delivery import service as delivery
from accord.entitlements import service as entitlements
from accord.notify.models import OutboxMessage
from accord.policy import service as policies
from accord.policy.io import seed
from accord.privacy import service as privacy
from tests.identity.helpers import make_user
from tests.jobs.catalogue import published_dataset


@dataclass
class World:
    slug: str
    dataset_id: int
    version_id: int
    curator: object
    items: dict[str, tuple[int, str]] = field(default_factory=dict)  # path → (item id, sha256)
    licensees: dict[str, object] = field(default_factory=dict)  # e-mail → user


def make_world(rt, tmp_path, slug: str = "faces", *, count: int = 8, licensees: int = 0, policy=None) -> World:
    ds, version = published_dataset(rt, tmp_path, slug, title="Faces", count=count, previews=0)
    curator = make_user(rt, f"curator@{slug}.example.org")
    from accord.identity import service as identity

    with rt.session() as db:
        policies.set_policy(db, ds.id, policy or seed("llvip"), actor="cli")
        identity.grant_role(db, identity.user_by_id(db, curator.id), "curator", dataset_id=ds.id)
        curator = identity.user_by_id(db, curator.id)
        _ = list(curator.roles)  # loaded, for use after the session closes
        items = {i.path: (i.id, i.sha256) for i in catalog.list_items(db, version.id, limit=1000)}
    world = World(slug, ds.id, version.id, curator, items)
    for n in range(licensees):
        add_licensee(rt, world, f"li{n:02d}@{slug}.example.org")
    return world


def add_licensee(rt, world: World, email: str):
    user = make_user(rt, email)
    with rt.session() as db, unit_of_work(db):
        entitlements.grant(db, dataset_id=world.dataset_id, user_id=user.id, policy_version=1, actor="cli")
    world.licensees[email] = user
    return user


def downloaded(rt, world: World, user, paths) -> None:
    """What serving each file whole writes to the download log, through the real (batched) writer."""
    log = delivery.state(rt).log
    with rt.session() as db:
        grant = entitlements.check(db, user, world.dataset_id).entitlement
    for path in paths:
        _id, sha = world.items[path]
        size = 1
        log.add(
            user_id=user.id,
            entitlement_id=grant.id,
            version_id=world.version_id,
            object=f"item:{world.version_id}:{sha}",
            offset=0,
            nbytes=size,
        )
    log.flush()


def last_mail(rt, to: str, template: str) -> OutboxMessage:
    with rt.session() as db:
        msg = db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to == to, OutboxMessage.template == template)
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert msg is not None, f"no {template} mail to {to}"
        return msg


def link_token(body: str, kind: str) -> str:
    found = re.search(rf"/privacy/{kind}/(\d+\.[A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def proven_request(
    rt, world: World, *, email="person@example.net", labels=("00",), paths=(), photo=None, address="198.51.100.7"
):
    with rt.session() as db:
        sub = privacy.submit(
            rt,
            db,
            dataset=world.slug,
            email=email,
            what="every picture of me",
            labels=labels,
            paths=paths,
            photo=photo,
            address=address,
        )
    token = link_token(last_mail(rt, email, "removal-prove").text_body, "prove")
    with rt.session() as db:
        privacy.prove(rt, db, token)
    return sub

"""A published LLVIP-like dataset with its own citation and seed terms, and the people around it: Ana (approved
through her application, organisation given there), Ben (granted without an application; his organisation is
the one registered for his address), Cy (no grant), Dee (grant of another version only), and a curator."""

from __future__ import annotations

from dataclasses import dataclass

from accord.access import service as access
from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.demo.facts import LLVIP
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from tests.access.helpers import answers, person
from tests.jobs.archives import image_zip

TITLE = "LLVIP: visible-infrared paired images for low-light vision"
CUSTODIAN = "Beijing University of Posts and Telecommunications"


@dataclass
class World:
    dataset_id: int
    version_id: int
    grants: dict[str, int]  # person → grant id

    slug: str = "llvip"
    label: str = "1.0"


def version(rt, tmp_path, dataset_id: int, label: str, *, count: int = 3, publish: bool = True) -> int:
    with rt.session() as db:
        made = catalog.create_version(db, dataset_id, label=label, actor="cli")
    catalog.ingest(rt, made.id, image_zip(tmp_path / f"llvip-{label}.zip", count=count, previews=1), actor="cli")
    if publish:
        with rt.session() as db:
            catalog.publish(db, made.id, actor="cli")
    return made.id


def make_world(rt, tmp_path) -> World:
    with rt.session() as db:
        ds = catalog.create_dataset(
            db,
            slug="llvip",
            title=TITLE,
            custodian=CUSTODIAN,
            summary="Paired visible and infrared street images taken at night.",
            modalities=["visible", "infrared"],
            citation_bibtex=LLVIP.citation_bibtex,
            actor="cli",
        )
    version_id = version(rt, tmp_path, ds.id, "1.0")
    with rt.session() as db:
        policies.set_policy(db, ds.id, seed("llvip"), actor="cli")
        identity.register_organisation(db, name="Example Institute", domain="institute.example", actor="cli")
        ana = person(db, "ana@lab.example")
        app_id = access.start(db, "llvip", actor=ana).id
        access.save(db, app_id, actor=ana, answers=answers("llvip", ana.email))
        access.sign(rt, db, app_id, actor=ana, full_name="Ana Lima", consent=True)
        access.submit(db, app_id, actor=ana)  # LLVIP is click-through: approved at once
        ben = person(db, "ben@institute.example")
        person(db, "cy@lab.example")
        dee = person(db, "dee@lab.example")
        curator = person(db, "cur@lab.example")
        identity.grant_role(db, curator, "curator", dataset_id=ds.id)
        with unit_of_work(db):
            ben_grant = entitlements.grant(
                db, dataset_id=ds.id, user_id=ben.id, policy_version=1, actor="cli", unit="Night Vision Group"
            )
        grants = {"ana": entitlements.newest(db, ana, ds.id).id, "ben": ben_grant.id}
    second = version(rt, tmp_path, ds.id, "2.0")
    with rt.session() as db, unit_of_work(db):  # LLVIP's terms cover one version: Dee's is 2.0's only
        grants["dee"] = entitlements.grant(db, dataset_id=ds.id, user_id=dee.id, policy_version=1, actor="cli").id
    assert second
    return World(ds.id, version_id, grants)


def user(rt, email: str):
    with rt.session() as db:
        found = identity.user_by_email(db, email)
        _ = list(found.roles)
        return found

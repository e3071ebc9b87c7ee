"""Half a year of made-up custodian life on the demo's four datasets, for the dashboard's screenshot: people of
a dozen organisations apply, reviewers decide at each dataset's pace, licensees download shards, a few grants
are revoked or run out, and some licensees declare derivatives, ask for approvals and register papers. Seeded,
so the picture is the same on every run; nothing here is a real person."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.demo import facts
from accord.identity import service as identity
from accord.obligations.models import ApprovalRequest, Derivative, Publication
from accord.policy import service as policies
from tests.insights import world
from tests.insights.world import Story

ORGANISATIONS = (
    ("Universität Beispielstadt", "uni-beispielstadt.de"),
    ("Example College London", "example.ac.uk"),
    ("Voorbeeld University of Technology", "tu-voorbeeld.nl"),
    ("Institut Exemple de Vision", "exemple-vision.fr"),
    ("Politecnico di Esempio", "polesempio.it"),
    ("Example Institute of Technology", "eit.example.edu"),
    ("Reiwa Institute of Science", "reiwa-sci.ac.jp"),
    ("Exemplo Federal University", "ufexemplo.br"),
    ("Example Research Institute (demo)", "example.org"),
    ("Przykład University", "przyklad.edu.pl"),
)
# slug: applications a week at most, (approved, rejected, returned, withdrawn) shares, days to decide (low, high)
PACE = {
    "llvip": (6, (0.86, 0.04, 0.05, 0.05), (0.2, 3)),
    "cion-al": (3, (0.55, 0.25, 0.12, 0.08), (4, 24)),
    "at-ustc": (3, (0.7, 0.12, 0.1, 0.08), (1, 9)),
    "shhq": (4, (0.72, 0.1, 0.1, 0.08), (2, 14)),
}
SHARD = 512 * 1024 * 1024


def build(db, now: datetime, *, weeks: int = 26) -> None:
    rng = random.Random(15)
    for name, domain in ORGANISATIONS[:6]:  # the others are known by what their people type
        identity.register_organisation(db, name=name, domain=domain, actor="cli")
    people = world.users(db, [f"person{i}@{ORGANISATIONS[i % len(ORGANISATIONS)][1]}" for i in range(140)])
    start = now - timedelta(weeks=weeks)
    for seed in (facts.LLVIP, facts.CION_AL, facts.AT_USTC, facts.SHHQ):
        ds = catalog.create_dataset(db, **seed.as_fields(), actor="cli")
        policies.set_policy(db, ds.id, policies.seed(seed.slug), actor="cli")
        version = catalog.create_version(db, ds.id, label="1.0", actor="cli")
        _history(db, rng, ds.id, version.id, seed.slug, people, start, now, weeks)


def _history(db, rng, dataset_id, version_id, slug, people, start, now, weeks) -> None:
    most, shares, (fast, slow) = PACE[slug]
    stories = []
    for week in range(weeks):
        for _ in range(rng.randint(most // 3, most) if week > 2 else rng.randint(0, 2)):
            person = rng.randrange(len(people))
            sent = start + timedelta(weeks=week, hours=rng.uniform(0, 7 * 24))
            if sent > now:
                continue
            took = timedelta(days=rng.uniform(fast, slow))
            fate = rng.choices(("approved", "rejected", "returned", "withdrawn"), shares)[0]
            then = [] if sent + took > now else [(fate, sent + took)]
            named = ORGANISATIONS[person % len(ORGANISATIONS)][0] if rng.random() < 0.6 else ""
            stories.append(Story(people[person], sent, then, organisation=named))
    apps = world.applications(db, dataset_id, stories)
    approved = [(a, s) for a, s in zip(apps, stories, strict=True) if s.status() == "approved"]
    rows = []
    for a, s in approved:
        decided = s.then[0][1]
        row = {"dataset_id": dataset_id, "user_id": s.applicant_id, "application_id": a, "starts_at": decided}
        luck = rng.random()
        if luck < 0.06:
            row["revoked_at"] = decided + timedelta(days=rng.uniform(5, 60))
        elif luck < 0.14:
            row["expires_at"] = decided + timedelta(days=rng.uniform(20, 90))
        rows.append(row)
    given = world.grants(db, rows)
    logged = []
    for g, row in zip(given, rows, strict=True):
        for visit in range(rng.randint(1, 3)):
            when = row["starts_at"] + timedelta(days=rng.uniform(0.1, 40) * (visit + 1))
            if when > now or (row.get("revoked_at") and when > row["revoked_at"]):
                continue
            for n in range(rng.randint(1, 6)):
                size = SHARD if rng.random() < 0.8 else rng.randrange(SHARD // 10, SHARD)
                logged.append(
                    {"user_id": row["user_id"], "entitlement_id": g, "object": f"shard:{version_id}:{n}",
                     "bytes": size, "at": when + timedelta(minutes=n)}
                )  # fmt: skip
    world.downloads(db, logged)
    _owed(db, rng, dataset_id, version_id, slug, given, rows, now)


def _owed(db, rng, dataset_id, version_id, slug, given, rows, now) -> None:
    with unit_of_work(db):
        for i, (g, row) in enumerate(zip(given, rows, strict=True)):
            user = row["user_id"]
            if slug == "cion-al" and i % 5 == 1:
                kind = ("unit", "commercial", "redistribute")[i % 3]
                db.add(
                    ApprovalRequest(dataset_id=dataset_id, entitlement_id=g, requested_by_id=user, kind=kind,
                                    description="Made-up request", status="pending" if i % 2 else "approved")
                )  # fmt: skip
            if slug == "llvip" and i % 6 == 2:
                status, listed = (("pending", False), ("approved", True), ("recorded", False))[i // 6 % 3]
                db.add(
                    Derivative(dataset_id=dataset_id, version_id=version_id, entitlement_id=g, declared_by_id=user,
                               kind="annotations", title=f"Boxes {i}", status=status, wants_listing=True,
                               listed=listed)
                )  # fmt: skip
            if i % 7 == 3:
                when = min(now, row["starts_at"] + timedelta(days=rng.uniform(30, 150)))
                db.add(Publication(dataset_id=dataset_id, user_id=user, title=f"Paper {slug} {i}", created_at=when))

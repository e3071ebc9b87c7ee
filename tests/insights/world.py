"""Worlds for the dashboard's tests, written in bulk (a few INSERTs however many rows): applications with their
events at known times, grants, download log rows and obligations. The services would take several statements
per row, and the query-count test needs ten thousand applications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from accord.access.models import Application, ApplicationEvent
from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.delivery.models import DownloadLog
from accord.entitlements.models import Entitlement
from accord.identity import service as identity
from accord.identity.models import User
from accord.obligations.models import ApprovalRequest, Derivative, Publication
from accord.policy import service as policies
from accord.policy.io import seed

CHUNK = 2000
NOW = datetime(2026, 3, 18, 12, tzinfo=UTC)  # a Wednesday: four weeks back begin on Monday 23 February


def at(text: str) -> datetime:
    """'2026-03-04 10:00' as a UTC moment."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def dataset(db, slug: str) -> tuple[int, int]:
    """A dataset with a draft version 1.0: (dataset id, version id)."""
    ds = catalog.create_dataset(db, slug=slug, title=slug.upper(), custodian="Example Lab", actor="cli")
    version = catalog.create_version(db, ds.id, label="1.0", actor="cli")
    return ds.id, version.id


def _insert(db, model, rows: list[dict]) -> list[int]:
    ids: list[int] = []
    for i in range(0, len(rows), CHUNK):
        result = db.execute(insert(model).returning(model.id, sort_by_parameter_order=True), rows[i : i + CHUNK])
        ids += [row[0] for row in result]
    return ids


def users(db, emails: list[str]) -> list[int]:
    with unit_of_work(db):
        return _insert(db, User, [{"email": e, "name": e.split("@")[0], "password_hash": None} for e in emails])


@dataclass
class Story:
    """One application's life: who, when first submitted, what happened after (kind, at) in order."""

    applicant_id: int
    submitted: datetime | None  # None: a draft never sent
    then: list[tuple[str, datetime]] = field(default_factory=list)
    organisation: str = ""

    def status(self) -> str:
        if self.submitted is None:
            return "draft"
        last = self.then[-1][0] if self.then else "submitted"
        return {"resubmitted": "submitted", "signatory_invited": "awaiting_signatory"}.get(last, last)


def applications(db, dataset_id: int, stories: list[Story]) -> list[int]:
    """The applications, their cached columns and their events, as access would have written them."""
    rows, events = [], []
    for s in stories:
        created = (s.submitted or at("2026-01-01 00:00")) - timedelta(hours=1)
        decided = next((when for kind, when in s.then if kind in ("approved", "rejected", "withdrawn")), None)
        last_submit = max([s.submitted, *(w for k, w in s.then if k == "resubmitted")], default=None, key=_key)
        rows.append(
            {
                "dataset_id": dataset_id,
                "applicant_id": s.applicant_id,
                "policy_version": 1,
                "status": s.status(),
                "created_at": created,
                "updated_at": s.then[-1][1] if s.then else (s.submitted or created),
                "submitted_at": last_submit,
                "decided_at": decided,
                "organisation": s.organisation,
                "failed_checks": "",
            }
        )
    with unit_of_work(db):
        ids = _insert(db, Application, rows)
        for app_id, s, row in zip(ids, stories, rows, strict=True):
            history = [("created", row["created_at"])]
            if s.submitted is not None:
                history.append(("submitted", s.submitted))
            history += s.then
            for seq, (kind, when) in enumerate(history, start=1):
                events.append(
                    {"application_id": app_id, "seq": seq, "kind": kind, "actor_id": None, "at": when, "data": {}}
                )
        for i in range(0, len(events), CHUNK):
            db.execute(insert(ApplicationEvent), events[i : i + CHUNK])
    return ids


def _key(moment: datetime | None) -> datetime:
    return moment or datetime.min.replace(tzinfo=UTC)


def grants(db, rows: list[dict]) -> list[int]:
    """Entitlement rows: dataset_id, user_id and any of application_id, policy_version, starts_at, expires_at,
    revoked_at."""
    full = [
        {
            "policy_version": 1,
            "unit": "",
            "networks": [],
            "added_units": [],
            "starts_at": at("2026-01-01 00:00"),
            "application_id": None,
            "expires_at": None,
            "revoked_at": None,
            **r,
        }
        for r in rows
    ]
    with unit_of_work(db):
        return _insert(db, Entitlement, full)


def downloads(db, rows: list[dict]) -> None:
    """DownloadLog rows: user_id, entitlement_id, object, bytes, at (and offset, stopped)."""
    full = [{"version_id": None, "offset": 0, "stopped": None, **r} for r in rows]
    with unit_of_work(db):
        for i in range(0, len(full), CHUNK):
            db.execute(insert(DownloadLog), full[i : i + CHUNK])


def owed(db, dataset_id: int, version_id: int, grant_id: int, user_id: int) -> None:
    """Per dataset: a request for approval waiting, a derivative waiting for approval, one asking to be listed,
    one listed, one refused; a paper registered before the window and one inside it."""
    with unit_of_work(db):
        db.add(
            ApprovalRequest(
                dataset_id=dataset_id, entitlement_id=grant_id, requested_by_id=user_id, kind="commercial",
                description="To sell a model", status="pending",
            )
        )  # fmt: skip
        db.add(
            ApprovalRequest(
                dataset_id=dataset_id, entitlement_id=grant_id, requested_by_id=user_id, kind="modify",
                description="Crop faces", status="refused",
            )
        )  # fmt: skip
        for status, wants, listed in (
            ("pending", False, False),
            ("recorded", True, False),
            ("approved", True, True),
            ("refused", True, False),
        ):
            db.add(
                Derivative(
                    dataset_id=dataset_id, version_id=version_id, entitlement_id=grant_id, declared_by_id=user_id,
                    kind="annotations", title=f"Boxes ({status})", status=status, wants_listing=wants, listed=listed,
                )
            )  # fmt: skip
        db.add(
            Publication(dataset_id=dataset_id, user_id=user_id, title="Old paper", created_at=at("2026-01-10 09:00"))
        )
        db.add(
            Publication(dataset_id=dataset_id, user_id=user_id, title="New paper", created_at=at("2026-03-05 09:00"))
        )


DOMAINS = ("uni-example.de", "example.ac.uk", "example.nl", "example.fr", "example.edu", "example.org", "example.jp")
FATES = ("approved", "approved", "approved", "rejected", "returned", "withdrawn", "open", "approved")


def many(db, dataset_id: int, n: int, *, start: datetime, tag: str = "m") -> None:
    """`n` applicants who each applied once, one every ten minutes from `start`, their fates cycling through FATES; a
    grant for each approved one and a download of a file under it the next day."""
    people = users(db, [f"{tag}{i}@{DOMAINS[i % len(DOMAINS)]}" for i in range(n)])
    stories = []
    for i, person in enumerate(people):
        sent, fate = start + timedelta(minutes=10 * i), FATES[i % len(FATES)]
        later = [] if fate == "open" else [(fate, sent + timedelta(hours=6 + i % 50))]
        stories.append(Story(person, sent, later, organisation=f"Institute {i % 13}" if i % 3 else ""))
    apps = applications(db, dataset_id, stories)
    approved = [(a, s) for a, s in zip(apps, stories, strict=True) if s.status() == "approved"]
    given = grants(
        db, [{"dataset_id": dataset_id, "user_id": s.applicant_id, "application_id": a} for a, s in approved]
    )
    downloads(
        db,
        [
            {"user_id": s.applicant_id, "entitlement_id": g, "object": f"item:1:{i:04x}", "bytes": 1000 + i,
             "at": s.then[0][1] + timedelta(days=1)}
            for i, (g, (_, s)) in enumerate(zip(given, approved, strict=True))
        ],
    )  # fmt: skip


def small(db) -> dict:
    """Two datasets, alpha and beta, with applications, grants, downloads and obligations at known times (the
    expected numbers are in tests/insights/test_service.py)."""
    a, a_version = dataset(db, "alpha")
    b, _ = dataset(db, "beta")
    policies.set_policy(db, a, seed("shhq"), actor="cli")
    policies.set_policy(db, a, seed("llvip"), actor="cli")  # alpha's terms are at version 2: older grants pause
    identity.register_organisation(db, name="Example College London", domain="example.ac.uk", actor="cli")
    people = users(
        db,
        [
            "ana@cs.uni-example.de",  # 0
            "bo@example.ac.uk",  # 1
            "cy@example.com",  # 2
            "di@lab.example.nl",  # 3
            "ed@old.example.fr",  # 4
            "fay@gone.example.fr",  # 5
            "gil@beta.example.jp",  # 6
        ],
    )
    stories = [
        Story(people[0], at("2026-02-24 10:00"), [("approved", at("2026-02-26 10:00"))], organisation="Uni Example"),
        Story(people[2], at("2026-02-25 09:00"), [("rejected", at("2026-03-05 09:00"))]),
        Story(people[2], at("2026-03-03 09:00"), [("returned", at("2026-03-04 09:00"))]),
        # returned, sent back, approved: counted from its first submission (8 days)
        Story(
            people[1],
            at("2026-03-03 12:00"),
            [
                ("returned", at("2026-03-04 12:00")),
                ("resubmitted", at("2026-03-10 12:00")),
                ("approved", at("2026-03-11 12:00")),
            ],
        ),
        Story(people[2], at("2026-03-10 08:00"), [("withdrawn", at("2026-03-12 08:00"))]),
        Story(people[2], at("2026-03-16 08:00")),  # in review
        Story(people[3], at("2026-03-17 08:00"), [("signatory_invited", at("2026-03-17 08:00"))]),
        Story(people[4], at("2026-01-05 08:00"), [("approved", at("2026-01-06 08:00"))]),  # before the weeks
        Story(people[5], at("2026-02-10 08:00"), [("approved", at("2026-03-02 08:00"))]),  # decided inside: 20 days
        Story(people[2], None),  # a draft
    ]
    apps = applications(db, a, stories)
    beta_apps = applications(db, b, [Story(people[6], at("2026-03-09 09:00"), [("approved", at("2026-03-09 21:00"))])])
    given = grants(
        db,
        [
            {"dataset_id": a, "user_id": people[0], "application_id": apps[0], "policy_version": 2},  # active
            {"dataset_id": a, "user_id": people[1], "application_id": apps[3]},  # paused: terms 1 of 2
            {"dataset_id": a, "user_id": people[3], "policy_version": 2},  # active, given by hand (no application)
            {"dataset_id": a, "user_id": people[2], "starts_at": at("2026-04-01 00:00"), "policy_version": 2},
            {"dataset_id": a, "user_id": people[4], "application_id": apps[7], "expires_at": at("2026-03-01 00:00")},
            {"dataset_id": a, "user_id": people[5], "application_id": apps[8], "revoked_at": at("2026-03-10 00:00")},
            {"dataset_id": b, "user_id": people[6], "application_id": beta_apps[0]},
            {"dataset_id": b, "user_id": people[0]},  # ana holds beta too, given by hand
        ],
    )

    def got(person: int, grant: int, obj: str, nbytes: int, when: str, **extra) -> dict:
        return {"user_id": people[person], "entitlement_id": given[grant], "object": obj, "bytes": nbytes,
                "at": at(when), **extra}  # fmt: skip

    downloads(
        db,
        [
            # one file in three Range requests: one download
            *(got(0, 0, "item:1:aa", 100, "2026-03-03 10:00", offset=100 * i) for i in range(3)),
            got(0, 0, "item:1:bb", 50, "2026-03-04 10:00"),
            got(1, 1, "shard:1:0", 1000, "2026-03-10 10:00"),
            got(1, 1, "shard:1:1", 0, "2026-03-10 10:01", stopped="terms_changed"),  # refused: nothing received
            got(0, 0, "item:1:aa", 10, "2026-03-11 10:00"),
            got(0, 0, "item:1:cc", 500, "2026-02-01 10:00"),  # before the weeks
            got(6, 6, "item:9:zz", 777, "2026-03-16 10:00"),  # beta's
        ],
    )
    owed(db, a, a_version, given[0], people[0])
    return {"alpha": a, "beta": b, "people": people}

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
from accord.identity.models import User
from accord.obligations.models import ApprovalRequest, Derivative, Publication

CHUNK = 2000


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

"""Training's daily work: warn holders whose accepted certificate stops counting within two weeks for a grant they
still hold (once per certificate), and end the grants whose terms say access ends with the certificate."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.catalog.models import Dataset
from accord.db import unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.identity.models import User
from accord.notify import service as notify
from accord.policy.schema import Training
from accord.training.models import TrainingCertificate
from accord.training.validity import standing, terms_training, valid_until

WARN_BEFORE = timedelta(days=14)


def warn_expiring(db: Session, *, now: datetime | None = None, base_url: str = "") -> int:
    """Daily: tell each holder whose accepted certificate stops counting within two weeks for a grant they
    still hold (once per certificate), unless a later one already covers them. Returns how many were told."""
    now = now or utcnow()
    today = now.date()
    told = 0
    with unit_of_work(db):
        due = list(
            db.scalars(
                select(TrainingCertificate)
                .where(
                    TrainingCertificate.status == "accepted",
                    TrainingCertificate.expiry_warned_at.is_(None),
                    TrainingCertificate.expires_on > today,
                )
                .order_by(TrainingCertificate.id)
            )
        )
        for cert in due:
            needs = _trainings_held(db, cert.user_id, now)
            if not needs:
                continue
            ends = min(valid_until(cert, t) for _, t in needs)
            if not today < ends <= today + WARN_BEFORE:
                continue
            if standing(db, cert.user_id, needs[0][1], ends).ok:  # a later certificate carries on
                continue
            holder = db.get_one(User, cert.user_id)
            names = sorted({ds.title for ds, _ in needs})
            notify.enqueue(
                db,
                "training-expiring",
                to=holder.email,
                name=holder.name,
                course=cert.course,
                expires=str(ends),
                datasets=names,
                base_url=base_url.rstrip("/"),
                paths=sorted({f"/datasets/{ds.slug}/download" for ds, _ in needs}),
            )
            cert.expiry_warned_at = now
            audit.record(
                db,
                actor="system",
                action="training.expiry_warned",
                object=("training_certificate", cert.id),
                data={"ends": str(ends)},
                dataset=cert.dataset_id,
            )
            told += 1
    return told


def _trainings_held(db: Session, user_id: int, now: datetime) -> list[tuple[Dataset, Training]]:
    """(dataset, training) for each live grant of the user whose terms ask for training."""
    out = []
    for ent in entitlements.live(db, now, user_id=user_id):
        training = terms_training(db, ent.dataset_id, ent.policy_version)
        if training is not None:
            out.append((catalog.dataset_by_id(db, ent.dataset_id), training))
    return out


def end_lapsed(db: Session, *, now: datetime | None = None) -> list[int]:
    """Daily: where the terms say access ends with the certificate (`on_expiry: end`), revoke the grants of holders
    whose accepted certificate ran out with no other one counting (until then `entitlements.check` pauses them).
    Each revocation is its own transaction, audited, and told to the licensee. Returns the grant ids."""
    now = now or utcnow()
    today = now.date()
    terms: dict[tuple[int, int], Training | None] = {}
    ended = []
    for ent in entitlements.live(db, now):
        key = (ent.dataset_id, ent.policy_version)
        if key not in terms:
            terms[key] = terms_training(db, *key)
        required = terms[key]
        if required is None or required.on_expiry != "end":
            continue
        held = standing(db, ent.user_id, required, today)
        if held.state == "expired":
            entitlements.revoke(
                db,
                ent.id,
                actor="system",
                at=now,
                reason=f"your training certificate ran out on {held.until}, and these terms end "
                "access when it does; apply again with a current certificate",
            )
            ended.append(ent.id)
    return ended

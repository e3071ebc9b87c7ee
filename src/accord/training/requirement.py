"""Training as a provider to other domains (registered in `accord.plugins`): the certificate an application
needs before it is sent and approved, and the pause of a grant whose holder's certificate ran out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.db import utcnow
from accord.errors import IllegalTransition, InvalidInput
from accord.policy.schema import Policy, Training
from accord.training.models import TrainingCertificate
from accord.training.validity import STAGES, counts, for_application, pick, stage, standing, valid_until

if TYPE_CHECKING:
    from accord.access.models import Application
    from accord.entitlements.models import Entitlement

PAUSED = "your access is paused: "  # the grant stands; downloads resume once a certificate counts


class Certificate:
    """An accepted training certificate that counts today, when the terms ask for one (`Policy.training`)."""

    name = "certificate"

    def applies(self, policy: Policy) -> bool:
        return policy.training is not None

    def still_needed(self, db: Session, app_id: int, policy: Policy) -> str | None:
        where = stage(for_application(db, app_id), policy.training, utcnow().date())
        return None if where == "accepted" else f"an accepted training certificate ({STAGES[where]})"

    def before_submit(self, db: Session, app_id: int, policy: Policy) -> None:
        """Sent with a certificate that can still be accepted."""
        training, cert, today = policy.training, for_application(db, app_id), utcnow().date()
        if training is None:  # terms without training ask for no certificate (`applies`)
            return
        if cert is None:
            raise InvalidInput(
                f"upload your certificate of {training.name} (with its dates) before submitting", field="certificate"
            )
        if cert.status == "rejected":
            raise InvalidInput(
                f"your training certificate was not accepted ({cert.reject_reason}); upload "
                "another one before submitting",
                field="certificate",
            )
        if today >= valid_until(cert, training):
            raise InvalidInput(
                f"your training certificate counts only until {valid_until(cert, training)}; "
                "upload a current one before submitting",
                field="certificate",
            )

    def met(self, db: Session, app_id: int, policy: Policy) -> bool:
        cert = for_application(db, app_id)
        return cert is not None and counts(cert, policy.training, utcnow().date())

    def before_approval(self, db: Session, app_id: int, policy: Policy) -> None:
        if self.met(db, app_id, policy):
            return
        cert, training = for_application(db, app_id), policy.training
        if cert is None:
            raise IllegalTransition(
                "cannot approve: these terms need a training certificate and the applicant has not uploaded one"
            )
        if cert.status == "accepted":
            raise IllegalTransition(
                f"cannot approve: the applicant's training certificate ran out on {valid_until(cert, training)}"
            )
        raise IllegalTransition(
            f"cannot approve until the applicant's training certificate is accepted (it is "
            f"{cert.status}); accept it on this page first"
        )

    def stages(
        self, db: Session, apps: Sequence[Application], policies: dict[int, Policy], today: date
    ) -> dict[int, str]:
        """In one statement: the certificates uploaded with these applications and the accepted ones of their
        applicants, from which each application's is picked as `for_application` picks it."""
        certs = list(
            db.scalars(
                select(TrainingCertificate)
                .where(
                    or_(
                        TrainingCertificate.application_id.in_(sorted(a.id for a in apps)),
                        and_(
                            TrainingCertificate.user_id.in_(sorted({a.applicant_id for a in apps})),
                            TrainingCertificate.status == "accepted",
                        ),
                    )
                )
                .order_by(TrainingCertificate.id.desc())
            )
        )
        out: dict[int, str] = {}
        for app in apps:
            training = policies[app.id].training
            attached = next((c for c in certs if c.application_id == app.id), None)
            accepted = [c for c in certs if c.user_id == app.applicant_id and c.status == "accepted"]
            out[app.id] = stage(pick(attached, accepted, training, today), training, today)
        return out


certificate = Certificate()


def paused(
    db: Session, ent: Entitlement, policy: Policy, at: datetime
) -> tuple[tuple[str, str] | None, datetime | None]:
    """Access pauses (it is not revoked) while the holder has no accepted certificate valid on `at`'s day, and
    resumes by itself once a reviewer accepts a new one. (None, when the certificate stops counting) if it
    counts; (None, None) for terms without training."""
    required: Training | None = policy.training
    if required is None:
        return None, None
    held = standing(db, ent.user_id, required, at.date())
    if held.ok:  # it counts through the day before `until` (UTC), as `standing` reads days
        assert held.until is not None, "a valid standing says until when"
        return None, datetime.combine(held.until, time.min, tzinfo=UTC)
    page = f"/datasets/{catalog.dataset_by_id(db, ent.dataset_id).slug}/download"
    upload = f"upload a new one on the download page, {page}"
    if held.state == "pending":
        why = "your training certificate is awaiting review; downloads resume once it is accepted"
    elif held.state == "expired":
        why = f"your training certificate expired on {held.until}; {upload}"
    elif held.state == "rejected":
        why = f"your training certificate was not accepted ({held.reason}); {upload}"
    else:
        why = f"these terms need a valid certificate of {required.name}; {upload.replace('a new one', 'it')}"
    return ("training", PAUSED + why), None

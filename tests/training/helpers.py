"""A dataset whose terms ask for a training certificate, people, and certificate files."""

from __future__ import annotations

import io
from datetime import timedelta

from PIL import Image

from accord.access import service as access
from accord.db import utcnow
from accord.policy import service as policies
from accord.policy.io import seed
from accord.policy.schema import Training
from accord.training import service as training
from tests.access.helpers import TITLES, answers, person  # noqa: F401  (person: re-exported for the tests)
from tests.jobs.catalogue import published_dataset

TRAINING = Training(name="CITI human-subjects research course", valid_days=730, on_expiry="pause")


def dataset_needing_training(rt, tmp_path, slug: str = "at-ustc"):
    """A published dataset with its seed terms plus a training requirement (no seed asks for one)."""
    dataset, _ = published_dataset(rt, tmp_path, slug, title=TITLES[slug], count=1, previews=0)
    with rt.session() as db:
        policies.set_policy(db, dataset.id, seed(slug).model_copy(update={"training": TRAINING}), actor="cli")
    return dataset


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(out, format="PNG")
    return out.getvalue()


def days(n: int):
    return (utcnow() + timedelta(days=n)).date()


def upload(rt, db, user, *, application_id=None, dataset_slug=None, expires_in=365, data=None, **kw):
    return training.upload(
        rt,
        db,
        actor=user,
        data=data if data is not None else png(),
        course=kw.pop("course", "CITI Program: Human Research"),
        completed_on=days(-30),
        expires_on=days(expires_in),
        filename="citi.png",
        application_id=application_id,
        dataset_slug=dataset_slug,
        **kw,
    )


def signed(rt, db, slug, applicant):
    record = access.start(db, slug, actor=applicant, answers=answers(slug, applicant.email))
    return access.sign(rt, db, record.id, actor=applicant, full_name="Ana Lima", consent=True)

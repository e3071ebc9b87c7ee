"""Datasets with their seed terms, people, and complete answers for each seed form."""

from __future__ import annotations

import io

from PIL import Image

from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from tests.jobs.catalogue import published_dataset

PASSWORD = "correct horse battery"
TITLES = {
    "llvip": "LLVIP: visible-infrared paired images",
    "shhq": "SHHQ: full-body images",
    "at-ustc": "AT-USTC: anytime person re-identification",
    "cion-al": "CION-AL: person images",
}


def dataset_with_terms(rt, tmp_path, slug: str):
    """A published dataset (one image) with its seed policy as terms version 1."""
    dataset, _ = published_dataset(rt, tmp_path, slug, title=TITLES[slug], count=1, previews=0)
    with rt.session() as db:
        policies.set_policy(db, dataset.id, seed(slug), actor="cli")
    return dataset


def person(db, email: str, *roles: str, verified: bool = True, reviewer_of=None):
    user = identity.create_user(
        db, email=email, name=email.split("@")[0].title(), password=PASSWORD, roles=list(roles), verified=verified
    )
    if reviewer_of is not None:
        identity.grant_role(db, user, "reviewer", dataset_id=reviewer_of.id)
    return user


def answers(slug: str, email: str) -> dict:
    """Every field the seed form of `slug` asks for."""
    every = {
        "name": "Ana Lima",
        "honorific": "Dr",
        "job_title": "Postdoctoral researcher",
        "nationality": "Portuguese",
        "organisation": "Example University",
        "department": "Vision Lab",
        "address": "1 Campus Road, Lisbon",
        "email": email,
        "telephone": "+351 21 000 0000",
        "purpose_statement": "Benchmarking person re-identification models.",
        "unit": "Vision Lab, Lisbon",
    }
    return {f.value: every[f.value] for f in seed(slug).applicant_fields}


SIGNATORY = {"name": "Rita Sousa", "title": "Vice-rector for research", "email": "rector@example.edu"}


def png() -> bytes:
    """A small, real PNG: what a scanned signature page is, as far as the checks go."""
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, format="PNG")
    return out.getvalue()

"""Which version an export is made of, and the facts a citation of it states. Exports exist for published
versions only: a draft may still change, and a withdrawn version is no longer offered (often because files were
removed at a data subject's request), so neither is cited, described or licensed afresh."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion
from accord.errors import IllegalTransition, NotFound
from accord.exports.citation import Citable
from accord.identity.models import User

Actor = User | str | None  # a string is the server's own shell ("cli"), trusted as a curator


def curates(actor: Actor, dataset_id: int) -> bool:
    return isinstance(actor, str) or catalog.can_curate(actor, dataset_id)


def published_version(db: Session, slug: str, label: str, *, actor: Actor) -> DatasetVersion:
    """The published version `label` of `slug`. A draft is hidden from all but its curators (NotFound), who
    are told to publish it; a withdrawn version is refused with the reason and the version that is current."""
    version = catalog.version_by_label(db, slug, label)  # NotFound
    if version.status == "draft":
        if not curates(actor, version.dataset_id):
            raise NotFound(f"{slug} has no version {label!r}")
        raise IllegalTransition(
            f"version {label} of {slug} is a draft: exports are made of published versions only; publish it first"
        )
    if version.status == "withdrawn":
        current = catalog.latest_published(db, version.dataset_id)
        instead = f"; version {current.label} is the current one" if current else ""
        raise IllegalTransition(
            f"version {label} of {slug} was withdrawn ({version.withdrawn_reason or 'by its curators'}), so it "
            f"is no longer cited, described or licensed{instead}"
        )
    return version


def page_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/datasets/{slug}"


def citable(version: DatasetVersion, *, base_url: str) -> Citable:
    ds = version.dataset
    published = version.published_at or version.created_at  # (a published version always has its date)
    return Citable(
        slug=ds.slug,
        title=ds.title,
        custodian=ds.custodian,
        label=version.label,
        published=published.date(),
        url=page_url(base_url, ds.slug),
        terms_url=page_url(base_url, ds.slug) + "#licence-h",  # the page's licence section
        summary=ds.summary or "",
        keywords=tuple(ds.modalities or ()),
        bibtex=ds.citation_bibtex or "",
    )

"""Exports of a published dataset version: the door. Citations (BibTeX, RIS, CITATION.cff) and the public
Croissant for anyone; the Croissant with the file manifest for those who may read the version's file list
(entitlements decides: its licensees and curators); the signed licence record for its licensee and the
dataset's curators (exports/record.py). Nothing here changes a dataset: only issuing a licence record is
recorded, in the audit log. The web pages, the API and the CLI call these and nothing else of the package.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.catalog.models import DatasetVersion
from accord.entitlements import service as entitlements
from accord.errors import InvalidInput
from accord.exports import citation, croissant, record
from accord.exports.schemas import BIBTEX, CFF, JSONLD, RIS, Document, ExportLink, Offer
from accord.exports.versions import Actor, citable, curates, published_version
from accord.identity.models import User
from accord.policy import service as policies

# The door's names for what other modules of the package do.
licence_record = record.licence_record
terms_sha256 = record.terms_sha256

FORMATS = ("bibtex", "ris", "cff", "croissant")


def bibtex(db: Session, slug: str, label: str, *, actor: Actor, base_url: str) -> Document:
    """BibTeX of a published version (the dataset's own citation first, where it has one)."""
    version = published_version(db, slug, label, actor=actor)
    c = citable(version, base_url=base_url)
    return Document(citation.to_bibtex(c).encode(), BIBTEX, f"{c.key}.bib")


def ris(db: Session, slug: str, label: str, *, actor: Actor, base_url: str) -> Document:
    """RIS of a published version (the dataset's own citation first, where it has one)."""
    version = published_version(db, slug, label, actor=actor)
    c = citable(version, base_url=base_url)
    return Document(citation.to_ris(c).encode(), RIS, f"{c.key}.ris")


def cff(db: Session, slug: str, label: str, *, actor: Actor, base_url: str) -> Document:
    """CITATION.cff (CFF 1.2.0) of a published version."""
    version = published_version(db, slug, label, actor=actor)
    return Document(citation.to_cff(citable(version, base_url=base_url)).encode(), CFF, "CITATION.cff")


def may_see_files(db: Session, actor: Actor, version: DatasetVersion) -> bool:
    """The one rule for file lists (entitlements.require_file_list): the version's licensees, its dataset's
    curators, and anyone where the terms publish the file list."""
    return isinstance(actor, str) or entitlements.may_read_file_list(db, actor, version)


def croissant_document(db: Session, slug: str, label: str, *, actor: Actor, base_url: str) -> Document:
    """Croissant JSON-LD of a published version: with the file manifest for those who may read the file
    list, without any file or hash for everyone else."""
    version = published_version(db, slug, label, actor=actor)
    c = citable(version, base_url=base_url)
    base = base_url.rstrip("/")
    current = policies.current(db, version.dataset_id)
    terms = croissant.Terms(None)
    if current is not None:
        terms = croissant.Terms(
            current.version,
            odrl_url=f"{base}/api/v1/datasets/{slug}/policy/odrl?version={current.version}",
            duo=tuple(code["shorthand"] for code in policies.duo(current)["codes"]),
        )
    files = None
    if may_see_files(db, actor, version) and version.manifest_sha256:
        files = croissant.Files(
            manifest_url=f"{base}/api/v1/datasets/{slug}/versions/{label}/manifest",
            manifest_sha256=version.manifest_sha256,
            signing_key_url=f"{base}/api/v1/signing-key",
            file_count=version.file_count,
            total_bytes=version.total_bytes,
            media_types=tuple(catalog.media_types(db, version.id)),
        )
    body = croissant.to_json(croissant.document(c, terms, files))
    return Document(body, JSONLD, f"{c.key}-croissant{'' if files else '-public'}.jsonld")


def export(db: Session, slug: str, label: str, what: str, *, actor: Actor, base_url: str) -> Document:
    """One of FORMATS by name (the CLI's --format)."""
    makers = {"bibtex": bibtex, "ris": ris, "cff": cff, "croissant": croissant_document}
    if what not in makers:
        raise InvalidInput(f"no export called {what!r}; choose one of {', '.join(FORMATS)}", field="format")
    return makers[what](db, slug, label, actor=actor, base_url=base_url)


def export_path(slug: str, label: str, what: str) -> str:
    """Where the API serves an export (`what`: one of FORMATS, or licence-record)."""
    if what == "licence-record":
        return f"/api/v1/datasets/{slug}/versions/{label}/licence-record"
    return f"/api/v1/datasets/{slug}/versions/{label}/export/{what}"


def offered(db: Session, user: User | None, version: DatasetVersion | None) -> Offer | None:
    """The exports of a dataset page's version this viewer may take (None: no published version), with a
    licence record link for each published version of the dataset that the viewer holds a grant of."""
    if version is None or version.status != "published":
        return None
    slug, label = version.dataset.slug, version.label
    full = may_see_files(db, user, version)
    links = [
        ExportLink("BibTeX", export_path(slug, label, "bibtex")),
        ExportLink("RIS", export_path(slug, label, "ris")),
        ExportLink("CITATION.cff", export_path(slug, label, "cff")),
        ExportLink(
            "Croissant",
            export_path(slug, label, "croissant"),
            "with the file manifest" if full else "public: no file list",
        ),
    ]
    held = [g for g in entitlements.held_by(db, user) if g.dataset_id == version.dataset_id] if user else []
    for v in version.dataset.versions:
        if v.status == "published" and any(g.version_id in (None, v.id) for g in held):
            links.append(
                ExportLink(
                    f"Your licence record of version {v.label}", export_path(slug, v.label, "licence-record"), "signed"
                )
            )
    return Offer(
        label,
        links,
        record_url=export_path(slug, label, "licence-record"),
        records_of_others=user is not None and curates(user, version.dataset_id),
    )

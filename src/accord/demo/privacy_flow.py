"""The demo's privacy desk: the photo-search index of LLVIP and SHHQ (whose demo versions hold real faces), the
"selfie" a visitor attaches to a removal request, AT-USTC's consent records (one volunteer left without, so the
coverage page shows a gap), and a licensee who downloaded the faces, so a removal sends a deletion notice.

Each step checks what is there first: a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.delivery import service as delivery
from accord.demo import faces
from accord.demo.images import FACE_LABELS
from accord.entitlements import service as entitlements
from accord.errors import NotFound
from accord.identity import service as identity
from accord.policy import service as policies
from accord.privacy import service as privacy

INDEXED = ("llvip", "shhq")  # the versions with real faces
SELFIE = "demo-selfie.jpg"  # under the data dir
LICENSEE = "lee.licensee@example.org"
LICENSED = ("llvip", "shhq")
OTHER_DOWNLOADS = 3  # files without a face the licensee also received, per dataset
CONSENT_DATE = "2024-03-15"
CONSENT_SCOPE = (
    "Recorded on campus cameras for person re-identification research; images may be licensed to researchers "
    "for non-commercial use; consent can be withdrawn at any time."
)


@dataclass
class PrivacyOutcome:
    indexed: dict[str, int] = field(default_factory=dict)  # slug → images indexed by this run
    selfie: Path | None = None
    consent_created: int = 0
    consent_gap: str | None = None  # the AT-USTC volunteer left without a consent record
    grants_created: int = 0
    downloads_logged: int = 0

    @property
    def changed(self) -> bool:
        return bool(any(self.indexed.values()) or self.consent_created or self.grants_created or self.downloads_logged)


def _published(db: Session, slug: str):
    try:
        return catalog.latest_published(db, catalog.dataset_by_slug(db, slug).id)
    except NotFound:
        return None


def ensure_index(rt, progress=None) -> dict[str, int]:
    """Index the face datasets now (publishing only queues the job, and `accord demo` may run without a worker);
    blobs already indexed are skipped."""
    out = {}
    for slug in INDEXED:
        with rt.session() as db:
            version = _published(db, slug)
            version_id = version.id if version else None
        if version_id is None:
            continue
        with rt.session() as db:
            if not privacy.unindexed(db, version_id):
                out[slug] = 0
                continue

        def step(done: int, total: int | None, message: str, slug: str = slug) -> None:
            if progress:
                progress(slug, done, total, message)

        out[slug] = privacy.index_version(rt, version_id, progress=step).indexed
    return out


def write_selfie(data_dir: Path) -> Path:
    """The astronaut's "selfie" (a variant of the photo in the datasets) for the visitor to attach."""
    path = Path(data_dir) / SELFIE
    data = faces.selfie("astronaut")
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def ensure_consent(rt, db: Session, *, actor) -> tuple[int, str | None]:
    """Consent records for AT-USTC's demo volunteers except the last; (records created, the label left out)."""
    version = _published(db, "at-ustc")
    if version is None:
        return 0, None
    labels = sorted(s for s in catalog.subject_counts(db, version.id) if s)
    if not labels:
        return 0, None
    gap = labels[-1]
    if privacy.records(db, version.dataset_id, actor=actor):  # imported already (or the curator's own)
        return 0, gap
    lines = ["subject,consented_at,scope"] + [f'{label},{CONSENT_DATE},"{CONSENT_SCOPE}"' for label in labels[:-1]]
    if not lines[1:]:
        return 0, gap
    report = privacy.import_csv(rt, db, version.dataset_id, ("\n".join(lines) + "\n").encode(), actor=actor)
    return report.created, gap


def ensure_licensee(rt, db: Session, *, actor) -> tuple[int, int]:
    """The demo licensee holds LLVIP and SHHQ and received their face images and a few others; (grants created,
    download-log rows written)."""
    try:
        user = identity.user_by_email(db, LICENSEE)
    except NotFound:
        return 0, 0
    grants = logged = 0
    log = delivery.state(rt).log
    for slug in LICENSED:
        version = _published(db, slug)
        if version is None:
            continue
        try:
            grant = entitlements.newest(db, user, version.dataset_id)
        except NotFound:
            terms = policies.current(db, version.dataset_id)
            if terms is None:
                continue
            with unit_of_work(db):
                grant = entitlements.grant(
                    db, dataset_id=version.dataset_id, user_id=user.id, policy_version=terms.version, actor=actor
                )
            grants += 1
        items = catalog.list_items(db, version.id, limit=100_000)
        labels = set(FACE_LABELS[slug].values())
        chosen = [i for i in items if i.subject in labels] + [i for i in items if not i.subject][:OTHER_DOWNLOADS]
        shas = {i.sha256 for i in chosen}
        if user.id in delivery.received(rt, db, version.id, shas):
            continue
        for item in chosen:  # what serving each file whole writes to the log
            log.add(
                user_id=user.id,
                entitlement_id=grant.id,
                version_id=version.id,
                object=f"item:{version.id}:{item.sha256}",
                offset=0,
                nbytes=item.size,
            )
            logged += 1
    log.flush()
    return grants, logged


def run(rt, *, actor, progress=None) -> PrivacyOutcome:
    out = PrivacyOutcome(indexed=ensure_index(rt, progress))
    out.selfie = write_selfie(rt.settings.data_dir)
    with rt.session() as db:
        out.consent_created, out.consent_gap = ensure_consent(rt, db, actor=actor)
        out.grants_created, out.downloads_logged = ensure_licensee(rt, db, actor=actor)
    return out

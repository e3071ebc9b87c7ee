"""Publications: papers that used a dataset, registered by its licensees with the version they used.
Identifiers are checked for form only (nothing is fetched). Curators ask licensees for theirs; terms that say
how often (`ask_for_publications_days`) have Accord ask on that schedule while a grant runs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.catalog.models import Dataset
from accord.db import unit_of_work, utcnow
from accord.entitlements import service as entitlements
from accord.entitlements.models import Entitlement
from accord.errors import InvalidInput, NotFound, PermissionDenied
from accord.identity.models import User
from accord.notify import service as notify
from accord.obligations.common import require_answers, text
from accord.obligations.models import Publication, PublicationAsk
from accord.policy import service as policies

# Crossref's pattern for modern DOIs; arXiv's new (2007-) and old (archive/YYMMNNN) identifiers
DOI = re.compile(r"^10\.\d{4,9}/[-._;()/:a-z0-9<>\[\]]+$", re.IGNORECASE)
ARXIV = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z-]*(\.[a-z]{2})?/\d{7})(v\d+)?$", re.IGNORECASE)


def doi(value: str | None) -> str | None:
    """A DOI, from its bare form, a doi: prefix or a doi.org address; InvalidInput when it has not a DOI's form."""
    raw = str(value or "").strip()
    if not raw:
        return None
    bare = re.sub(r"^(doi:|https?://(dx\.)?doi\.org/)", "", raw, flags=re.IGNORECASE).strip()
    if not DOI.match(bare) or len(bare) > 200:
        raise InvalidInput(f"{raw!r} is not a DOI (they look like 10.1234/abcd.5678)", field="doi")
    return bare.lower()


def arxiv(value: str | None) -> str | None:
    """An arXiv identifier, from its bare form, an arXiv: prefix or an arxiv.org address."""
    raw = str(value or "").strip()
    if not raw:
        return None
    bare = re.sub(r"^(arxiv:|https?://(www\.)?arxiv\.org/(abs|pdf)/)", "", raw, flags=re.IGNORECASE)
    bare = bare.removesuffix(".pdf").strip()
    if not ARXIV.match(bare):
        raise InvalidInput(f"{raw!r} is not an arXiv identifier (they look like 2108.10831)", field="arxiv")
    return bare


def register(
    db: Session,
    dataset_slug: str,
    *,
    actor: User,
    title: str = "",
    doi_: str | None = None,
    arxiv_: str | None = None,
    year: object = None,
    venue: str = "",
    version: str | None = None,
) -> Publication:
    """A paper of the actor's that used the dataset (they hold, or held, access to it)."""
    dataset = catalog.visible_dataset(db, dataset_slug, actor)
    if not entitlements.ever_held(db, actor.id, dataset.id):
        raise PermissionDenied("only licensees of this dataset register papers that used it")
    row = Publication(
        dataset_id=dataset.id,
        user_id=actor.id,
        title=text(title, "title", limit=500),
        doi=doi(doi_),
        arxiv=arxiv(arxiv_),
        year=_year(year),
        venue=text(venue, "venue", limit=300),
        created_at=utcnow(),
    )
    if not (row.title or row.doi or row.arxiv):
        raise InvalidInput("give the paper's DOI, its arXiv identifier or its title", field="title")
    if version:
        try:
            used = catalog.version_by_label(db, dataset.slug, version)
        except NotFound:
            raise InvalidInput(f"{dataset.title} has no version {version}", field="version") from None
        if used.status == "draft":
            raise InvalidInput(f"version {version} is not published", field="version")
        row.version_id = used.id
    if _known(db, row):
        raise InvalidInput("this paper is already registered for this dataset", field="doi" if row.doi else "arxiv")
    with unit_of_work(db):
        db.add(row)
        db.flush()
        audit.record(
            db,
            actor=actor,
            action="publication.registered",
            object=("publication", row.id),
            data={"dataset_id": dataset.id, "doi": row.doi, "arxiv": row.arxiv, "version_id": row.version_id},
        )
    return row


def _year(value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(str(value).strip())
    except ValueError:
        raise InvalidInput("the year is a number, e.g. 2024", field="year") from None
    if not 1900 <= year <= utcnow().year + 1:
        raise InvalidInput(f"{year} is not a plausible year of publication", field="year")
    return year


def _known(db: Session, row: Publication) -> bool:
    ids = [Publication.doi == row.doi] if row.doi else []
    ids += [Publication.arxiv == row.arxiv] if row.arxiv else []
    if not ids:
        return False
    query = select(func.count()).where(
        Publication.dataset_id == row.dataset_id, ids[0] if len(ids) == 1 else ids[0] | ids[1]
    )
    return bool(db.scalar(query.select_from(Publication)))


def remove(db: Session, publication_id: int, *, actor: User | str) -> None:
    """Whoever registered it, or a curator of the dataset, takes a paper off the list."""
    row = db.get(Publication, publication_id)
    if row is None:
        raise NotFound(f"there is no publication {publication_id}")
    if not (isinstance(actor, User) and actor.id == row.user_id):
        require_answers(actor, row.dataset_id)
    with unit_of_work(db):
        audit.record(
            db, actor=actor, action="publication.removed", object=("publication", row.id),
            data={"dataset_id": row.dataset_id, "doi": row.doi, "arxiv": row.arxiv, "title": row.title},
        )  # fmt: skip
        db.delete(row)


def for_dataset(db: Session, dataset_id: int) -> list[Publication]:
    return list(
        db.scalars(
            select(Publication)
            .where(Publication.dataset_id == dataset_id)
            .order_by(Publication.year.desc().nulls_last(), Publication.id.desc())
        )
    )


def of_user(db: Session, user: User, dataset: Dataset | None = None) -> list[Publication]:
    query = select(Publication).where(Publication.user_id == user.id)
    if dataset is not None:
        query = query.where(Publication.dataset_id == dataset.id)
    return list(db.scalars(query.order_by(Publication.id.desc())))


# --- asking for them -----------------------------------------------------------------------------------------


def ask(db: Session, dataset_id: int, *, actor: User | str, user_id: int | None = None, base_url: str = "") -> int:
    """A curator asks the dataset's licensees in force (or one of them) to register their papers."""
    require_answers(actor, dataset_id)
    dataset = catalog.dataset_by_id(db, dataset_id)
    grants = entitlements.live(db, utcnow(), dataset_id=dataset_id, user_id=user_id)
    if user_id is not None and not grants:
        raise InvalidInput("this person holds no access to the dataset in force", field="user")
    with unit_of_work(db):
        for ent in grants:
            _ask(db, ent, dataset, actor=actor, base_url=base_url, at=utcnow())
        audit.record(
            db, actor=actor, action="publications.asked", object=("dataset", dataset_id),
            data={"dataset_id": dataset_id, "licensees": len(grants), "user_id": user_id},
        )  # fmt: skip
    return len(grants)


def _ask(
    db: Session, ent: Entitlement, dataset: Dataset, *, actor: User | str | None, base_url: str, at: datetime
) -> None:
    holder = db.get_one(User, ent.user_id)
    db.add(PublicationAsk(entitlement_id=ent.id, asked_by_id=getattr(actor, "id", None), asked_at=at))
    notify.enqueue(
        db,
        "publications-asked",
        to=holder.email,
        name=holder.name,
        dataset=dataset.title,
        base_url=base_url.rstrip("/"),
        path=f"/datasets/{dataset.slug}/obligations#publications",
    )


def ask_on_schedule(db: Session, *, now: datetime | None = None, base_url: str = "") -> int:
    """(Daily job) Ask each licensee in force whose terms set `ask_for_publications_days` and who was last
    asked (or granted) longer ago than that. Returns how many were asked."""
    now = now or utcnow()
    asked = 0
    last = dict(
        db.execute(
            select(PublicationAsk.entitlement_id, func.max(PublicationAsk.asked_at)).group_by(
                PublicationAsk.entitlement_id
            )
        ).all()
    )
    for ent in entitlements.live(db, now):
        every = policies.get(db, ent.dataset_id, ent.policy_version).policy.ask_for_publications_days
        if not every or (last.get(ent.id) or ent.starts_at) > now - timedelta(days=every):
            continue
        with unit_of_work(db):
            _ask(db, ent, catalog.dataset_by_id(db, ent.dataset_id), actor=None, base_url=base_url, at=now)
            audit.record(
                db, actor="jobs", action="publications.asked", object=("entitlement", ent.id),
                data={"dataset_id": ent.dataset_id, "every_days": every},
            )  # fmt: skip
        asked += 1
    return asked

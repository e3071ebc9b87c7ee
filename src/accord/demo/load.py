"""Load the demo catalogue: demo accounts and the four seed datasets, each generated, ingested and published.

Every step checks what is already there first, so running the demo twice changes nothing the second time,
and a run interrupted half-way picks up where it stopped (ingest itself is all-or-nothing).
All state changes go through the identity and catalog services, which write the audit events.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from accord.catalog import service as catalog
from accord.config import Settings
from accord.demo import facts as demo_facts
from accord.demo import images, privacy_flow
from accord.demo.facts import DatasetFacts
from accord.demo.images import FULL, DemoScale
from accord.errors import InvalidInput, NotFound
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.service import seed as seed_policy

VERSION = "1.0"
# slug, done, total (None while unknown), message
Progress = Callable[[str, int, "int | None", str], None]


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    password: str
    role: str
    story: str = ""  # what the account shows in the demo, printed with the logins


# The demo's organisation: registered, so its people pass the institutional e-mail check that CION-AL, AT-USTC
# and SHHQ ask for (example.org is in no list of academic domains).
DEMO_ORGANISATION = ("Example Research Institute (demo)", "example.org")

# Reserved names only (example.org, and .example for the free-mail look-alike): the seed documents' real
# addresses never appear in the demo, and no real person is ever mailed.
DEMO_USERS = (
    DemoUser(
        "admin@example.org",
        "Ada Admin",
        "demo-admin-pass",
        "admin",
        "everything: create datasets, ingest, publish, read the outbox (the demo's mail)",
    ),
    DemoUser(
        "curator@example.org",
        "Cory Curator",
        "demo-curator-pass",
        "curator",
        "publish and withdraw dataset versions, revoke access",
    ),
    DemoUser("reviewer@example.org", "Rea Reviewer", "demo-reviewer-pass", "reviewer", "review applications"),
    DemoUser(
        "researcher@example.org",
        "Remy Researcher",
        "demo-researcher-pass",
        "applicant",
        "browse and apply; an institutional address (example.org is a registered organisation)",
    ),
    DemoUser(
        "fran.freemail@gmail.example",
        "Fran Freemail",
        "demo-freemail-pass",
        "applicant",
        "apply from a free-mail address: the institutional e-mail check fails, and says what to do",
    ),
    DemoUser(
        "lee.licensee@example.org",
        "Lee Licensee",
        "demo-licensee-pass",
        "applicant",
        "holds LLVIP and SHHQ and downloaded some of their files: receives the deletion notice",
    ),
)


@dataclass
class UserOutcome:
    user: DemoUser
    created: bool


@dataclass
class DatasetOutcome:
    slug: str
    title: str
    custodian: str
    version: str
    status: str  # the version's status afterwards
    file_count: int
    total_bytes: int
    preview_count: int
    changed: bool  # False: everything was already in place


@dataclass
class DemoReport:
    users: list[UserOutcome]
    datasets: list[DatasetOutcome]
    organisation_created: bool = False
    privacy: privacy_flow.PrivacyOutcome | None = None

    @property
    def changed(self) -> bool:
        return (
            self.organisation_created
            or any(u.created for u in self.users)
            or any(d.changed for d in self.datasets)
            or bool(self.privacy and self.privacy.changed)
        )


def require_demo_mode(settings: Settings) -> None:
    """The demo creates accounts whose passwords are printed and published: never on a real instance."""
    if not settings.demo:
        raise InvalidInput(
            "the demo creates an admin account with a published password; run it only on a "
            "demo instance, with ACCORD_DEMO=true (as `make demo` does)"
        )


def ensure_users(db: Session, settings: Settings) -> list[UserOutcome]:
    """Create the demo accounts that are missing; existing ones are left exactly as they are."""
    require_demo_mode(settings)
    outcomes = []
    for demo_user in DEMO_USERS:
        try:
            identity.user_by_email(db, demo_user.email)
            outcomes.append(UserOutcome(demo_user, created=False))
        except NotFound:
            roles = [] if demo_user.role == "applicant" else [demo_user.role]
            identity.create_user(
                db,
                email=demo_user.email,
                name=demo_user.name,
                password=demo_user.password,
                roles=roles,
                verified=True,
                actor="demo",
            )
            outcomes.append(UserOutcome(demo_user, created=True))
    return outcomes


def ensure_organisation(db: Session, settings: Settings) -> bool:
    """Register the demo's organisation unless it is; True when this run registered it."""
    require_demo_mode(settings)
    name, domain = DEMO_ORGANISATION
    if identity.organisation_by_domain(db, domain) is not None:
        return False
    identity.register_organisation(db, name=name, domain=domain, actor="demo")
    return True


def _actor(db: Session):
    """Datasets are attributed to the demo admin when there is one, else to the demo command itself."""
    try:
        admin = identity.user_by_email(db, DEMO_USERS[0].email)
    except NotFound:
        return "demo"
    admin.roles  # noqa: B018  (loaded now: ingest checks them from its own session)
    return admin


def _version_or_none(db: Session, slug: str):
    try:
        return catalog.version_by_label(db, slug, VERSION)
    except NotFound:
        return None


def ensure_dataset(
    rt, db: Session, facts: DatasetFacts, *, actor, scale: DemoScale = FULL, progress: Progress | None = None
) -> DatasetOutcome:
    """Bring one dataset to a published version 1.0, doing only the steps still missing."""
    changed = False
    try:
        dataset = catalog.dataset_by_slug(db, facts.slug)
    except NotFound:
        dataset = catalog.create_dataset(db, **facts.as_fields(), actor=actor)
        changed = True
    if not dataset.custodian_short and not dataset.custodian_contact:  # a demo made before datasets had them
        dataset = catalog.update_dataset(
            db,
            dataset.id,
            actor=actor,
            custodian_short=facts.custodian_short,
            custodian_contact=facts.custodian_contact,
        )
        changed = True
    if policies.current(db, dataset.id) is None:
        # Every rule of the seed document, as data (src/accord/policy/seeds/, tested rule by rule).
        policies.set_policy(db, dataset.id, seed_policy(facts.slug), actor=actor, note="terms of the seed document")
        changed = True
    version = _version_or_none(db, facts.slug)
    if version is None:
        version = catalog.create_version(
            db, dataset.id, label=VERSION, actor=actor, notes="Generated stand-in images for the Accord demo."
        )
        changed = True
    if version.status == "draft" and not version.file_count:
        generate_and_ingest(rt, version.id, facts.slug, actor=actor, scale=scale, progress=progress)
        db.refresh(version)
        changed = True
    if version.status == "draft":
        version = catalog.publish(db, version.id, actor=actor)
        changed = True
    preview = len(catalog.preview_items(db, dataset.id, limit=100_000)) if version.status == "published" else 0
    if progress:
        progress(facts.slug, 1, 1, "published" if changed else "already loaded")
    return DatasetOutcome(
        slug=facts.slug,
        title=dataset.title,
        custodian=dataset.custodian,
        version=version.label,
        status=version.status,
        file_count=version.file_count,
        total_bytes=version.total_bytes,
        preview_count=preview,
        changed=changed,
    )


def generate_and_ingest(
    rt, version_id: int, slug: str, *, actor, scale: DemoScale = FULL, progress: Progress | None = None
) -> None:
    """Generate one dataset's stand-in images and ingest them into an empty draft."""
    # Generated under the data dir; removed once ingested, since the blob store then holds every byte.
    workdir = Path(rt.settings.data_dir) / "demo" / slug
    shutil.rmtree(workdir, ignore_errors=True)  # a run killed while generating left a partial folder
    if progress:
        progress(slug, 0, None, "generating images")
    generated = images.GENERATORS[slug](workdir, scale)

    def ingest_progress(done: int, total: int | None, message: str) -> None:
        if progress:
            progress(slug, done, total, message)

    try:
        catalog.ingest(rt, version_id, generated.root, actor=actor, progress=ingest_progress)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if workdir.parent.exists() and not any(workdir.parent.iterdir()):
            workdir.parent.rmdir()


def load_datasets(
    rt, *, scale: DemoScale = FULL, progress: Progress | None = None, only: tuple[str, ...] | None = None
) -> list[DatasetOutcome]:
    """Make sure each demo dataset is in the catalogue with a published version."""
    chosen = [f for f in demo_facts.ALL if only is None or f.slug in only]
    with rt.session() as db:
        actor = _actor(db)
        return [ensure_dataset(rt, db, f, actor=actor, scale=scale, progress=progress) for f in chosen]


def run(rt, *, scale: DemoScale = FULL, progress: Progress | None = None) -> DemoReport:
    """The whole demo: accounts and their organisation first (the admin curates the datasets), then the four
    datasets, then the privacy desk's part (index, selfie, consent records, the licensee's downloads)."""
    with rt.session() as db:
        users = ensure_users(db, rt.settings)
        organisation_created = ensure_organisation(db, rt.settings)
    datasets = load_datasets(rt, scale=scale, progress=progress)
    with rt.session() as db:
        actor = _actor(db)
    return DemoReport(
        users=users,
        datasets=datasets,
        organisation_created=organisation_created,
        privacy=privacy_flow.run(rt, actor=actor, progress=progress),
    )


def reset(settings: Settings) -> list[Path]:
    """Delete the embedded database, job queue and blob folder so the demo starts afresh; returns what went.

    Only for the embedded default in demo mode: a configured database or bucket is never touched from here.
    The caller must dispose of any engine on the old database file and build a new runtime afterwards.
    """
    require_demo_mode(settings)
    if settings.database_url or settings.storage_url:
        raise InvalidInput(
            "--reset only clears the embedded SQLite database and blob folder; this instance "
            "uses a configured database or storage, so drop or empty those yourself"
        )
    sqlite_files = [
        settings.data_dir / f"{name}{suffix}" for name in ("accord.db", "jobs.db") for suffix in ("", "-wal", "-shm")
    ]  # jobs.db: queued jobs name rows that go too
    gone = []
    for path in (*sqlite_files, settings.blob_dir, settings.data_dir / "demo", settings.data_dir / privacy_flow.SELFIE):
        if path.is_dir():
            shutil.rmtree(path)
            gone.append(path)
        elif path.exists():
            path.unlink()
            gone.append(path)
    return gone

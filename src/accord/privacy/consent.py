"""The consent registry: what each subject of a dataset (by their label) consented to and when, the scanned form,
and a private withdrawal link for the subject.

Curators import records in bulk from CSV, all or nothing. Each new record's withdrawal link is shown once (and
e-mailed where the file gives an address); only the hash of its secret is kept. Withdrawing is in
consent_withdrawal.py."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.access import service as access
from accord.audit import service as audit
from accord.catalog import service as catalog
from accord.db import unit_of_work, utcnow
from accord.errors import InvalidInput, NotFound, TooLarge
from accord.identity.models import User
from accord.notify import service as notify
from accord.privacy.models import ConsentRecord

if TYPE_CHECKING:
    from accord.runtime import Runtime

MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_ROWS = 20_000
MAX_FORM_BYTES = 20 * 1024 * 1024
MAX_SCOPE = 2000
MAX_LABEL = 200  # as the items' subject column
COLUMNS = ("subject", "consented_at", "scope")
OPTIONAL = ("email",)
SHOWN = 50  # bad lines named in the message; details["lines"] has them all


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: list[str] = field(default_factory=list)  # subjects left as they are: their consent was withdrawn
    links: list[tuple[str, str]] = field(default_factory=list)  # (subject, withdrawal link), new records only
    emailed: int = 0


def _sha(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def withdraw_link(rt: Runtime, record_id: int, secret: str) -> str:
    return f"{rt.settings.base_url.rstrip('/')}/privacy/consent/{record_id}.{secret}"


def _actor_id(actor: User | str | None) -> int | None:
    return actor.id if isinstance(actor, User) else None


@dataclass
class _Row:
    line: int
    subject: str
    consented_at: date
    scope: str
    email: str | None


def _text(data: bytes) -> str:
    if len(data) > MAX_CSV_BYTES:
        raise TooLarge(f"the file is larger than {MAX_CSV_BYTES // 2**20} MB; split it", field="file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"the file is not UTF-8 text (line {line}); save it as CSV UTF-8",
            field="file",
            details={"lines": [{"line": line, "error": "not UTF-8 text"}]},
        ) from None


def _parse(data: bytes) -> list[_Row]:
    """Every row, or InvalidInput listing every bad line (details["lines"]: [{"line", "error"}])."""
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InvalidInput(
            "the file is empty: it needs a header line: subject,consented_at,scope", field="file"
        ) from None
    except csv.Error as exc:
        raise InvalidInput(f"line 1 is not CSV we can read ({exc})", field="file") from None
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL]
    if missing or unknown or len(set(header)) != len(header):
        wrong = "; ".join(
            ([f"missing {', '.join(missing)}"] if missing else [])
            + ([f"unknown {', '.join(unknown)}"] if unknown else [])
            + (["a column is named twice"] if len(set(header)) != len(header) else [])
        )
        raise InvalidInput(
            f"line 1 must name the columns subject, consented_at, scope and optionally email ({wrong})",
            field="file",
            details={"lines": [{"line": 1, "error": wrong}]},
        )
    rows: list[_Row] = []
    errors: list[dict[str, int | str]] = []
    seen: dict[str, int] = {}
    today = utcnow().date()
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append({"line": reader.line_num, "error": f"not CSV we can read ({exc})"})
            break
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            raise TooLarge(f"the file has more than {MAX_ROWS} records; split it", field="file")
        if len(values) != len(header):
            errors.append({"line": line, "error": f"{len(values)} fields where the header names {len(header)}"})
            continue
        got = dict(zip(header, (v.strip() for v in values), strict=True))
        problems = []
        subject = got["subject"]
        if not subject:
            problems.append("no subject label")
        elif len(subject) > MAX_LABEL:
            problems.append(f"the subject label is longer than {MAX_LABEL} characters")
        elif subject in seen:
            problems.append(f"subject {subject} is already on line {seen[subject]}")
        else:
            seen[subject] = line
        try:
            when = date.fromisoformat(got["consented_at"])
            if when > today:
                problems.append(f"consented_at {got['consented_at']} is in the future")
        except ValueError:
            when = today
            problems.append(f"consented_at {got['consented_at']!r} is not a date like 2024-03-31")
        scope = got["scope"]
        if not scope:
            problems.append("no scope: say what was consented to")
        elif len(scope) > MAX_SCOPE:
            problems.append(f"the scope is longer than {MAX_SCOPE} characters")
        email = got.get("email") or None
        if email:
            try:
                email = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError:
                problems.append(f"{email!r} is not an e-mail address")
        if problems:
            errors.append({"line": line, "error": "; ".join(problems)})
        else:
            rows.append(_Row(line, subject, when, scope, email))
    if errors:
        said = [f"line {e['line']}: {e['error']}" for e in errors[:SHOWN]]
        if len(errors) > SHOWN:
            said.append(f"and {len(errors) - SHOWN} more")
        raise InvalidInput(
            "nothing was imported; correct these lines and send the whole file again:\n" + "\n".join(said),
            field="file",
            details={"lines": errors},
        )
    if not rows:
        raise InvalidInput("the file has a header but no records", field="file")
    return rows


def import_csv(rt: Runtime, db: Session, dataset_id: int, data: bytes, *, actor: User | str | None) -> ImportReport:
    """Add or update the records of a CSV (subject, consented_at, scope[, email]); all or nothing. A new record's
    withdrawal link is in the report once, and e-mailed to the subject where the row gives an address."""
    catalog.require_curator(actor, dataset_id)
    ds = catalog.dataset_by_id(db, dataset_id)
    rows = _parse(data)
    report = ImportReport()
    existing = {r.subject: r for r in db.scalars(select(ConsentRecord).where(ConsentRecord.dataset_id == dataset_id))}
    now = utcnow()
    with unit_of_work(db):
        for row in rows:
            record = existing.get(row.subject)
            if record is not None:
                if record.withdrawn_at is not None:
                    report.withdrawn.append(row.subject)
                elif (record.consented_at, record.scope) == (row.consented_at, row.scope):
                    report.unchanged += 1
                else:
                    record.consented_at, record.scope, record.updated_at = row.consented_at, row.scope, now
                    report.updated += 1
                continue
            secret = secrets.token_urlsafe(24)
            record = ConsentRecord(
                dataset_id=dataset_id,
                subject=row.subject,
                consented_at=row.consented_at,
                scope=row.scope,
                withdraw_hash=_sha(secret),
                created_at=now,
                created_by_id=_actor_id(actor),
            )
            db.add(record)
            db.flush()
            link = withdraw_link(rt, record.id, secret)
            report.links.append((row.subject, link))
            report.created += 1
            if row.email:
                notify.enqueue(db, "consent-link", to=row.email, dataset=ds.title, subject=row.subject, link=link)
                report.emailed += 1
        audit.record(
            db,
            actor=actor,
            action="consent.imported",
            object=("dataset", dataset_id),
            data={
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "withdrawn": len(report.withdrawn),
                "emailed": report.emailed,
            },
        )
    return report


def record_of(db: Session, dataset_id: int, subject: str, *, actor: User | str | None) -> ConsentRecord:
    catalog.require_curator(actor, dataset_id)
    record = db.scalar(
        select(ConsentRecord).where(ConsentRecord.dataset_id == dataset_id, ConsentRecord.subject == subject)
    )
    if record is None:
        raise NotFound(f"no consent record for subject {subject!r}")
    return record


def records(db: Session, dataset_id: int, *, actor: User | str | None) -> list[ConsentRecord]:
    catalog.require_curator(actor, dataset_id)
    return list(
        db.scalars(select(ConsentRecord).where(ConsentRecord.dataset_id == dataset_id).order_by(ConsentRecord.subject))
    )


def attach_form(
    rt: Runtime, db: Session, dataset_id: int, subject: str, data: bytes, filename: str, *, actor: User | str | None
) -> ConsentRecord:
    """Store the scanned consent form (a PDF, PNG or JPEG, checked by its bytes) with the subject's record."""
    record = record_of(db, dataset_id, subject, actor=actor)
    if len(data) > MAX_FORM_BYTES:
        raise TooLarge(f"the form is larger than {MAX_FORM_BYTES // 2**20} MB", field="form")
    if not data:
        raise InvalidInput("the file is empty: choose the scan of the signed consent form", field="form")
    try:
        kind = access.sniff(data)
    except InvalidInput:
        raise InvalidInput("the consent form must be a PDF, PNG or JPEG file we can read", field="form") from None
    sha = hashlib.sha256(data).hexdigest()
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or None
    with unit_of_work(db):
        rt.store.put_bytes(sha, data)  # before the commit: a rollback leaves an unreferenced blob only
        replaced = record.form_sha256
        record.form_sha256, record.form_type, record.form_size, record.form_name = sha, kind, len(data), name
        audit.record(
            db,
            actor=actor,
            action="consent.form_attached",
            object=("consent_record", record.id),
            data={"sha256": sha, "type": kind, "size": len(data), "replaced": replaced},
            dataset=record.dataset_id,
        )
    return record


def form_of(
    rt: Runtime, db: Session, dataset_id: int, subject: str, *, actor: User | str | None
) -> tuple[bytes, str, str]:
    """The stored form's bytes, media type and a file name, for the dataset's curators."""
    record = record_of(db, dataset_id, subject, actor=actor)
    if record.form_sha256 is None:
        raise NotFound(f"no form is stored for subject {subject!r}")
    with rt.store.open(record.form_sha256) as fh:
        data = fh.read()
    suffix = access.SCAN_SUFFIXES.get(record.form_type or "", "bin")
    return data, record.form_type or "application/octet-stream", f"consent-{record.subject}.{suffix}"


@dataclass
class Coverage:
    version: str | None  # the latest published version's label; None: nothing published
    missing: list[tuple[str, int]]  # labels with no consent record, and how many items each holds
    withdrawn: list[tuple[str, int]]  # labels whose consent was withdrawn and that still hold items
    unlabelled: int  # items with no subject label at all
    covered: int  # labels with a standing consent record


def coverage(db: Session, dataset_id: int, *, actor: User | str | None) -> Coverage:
    """Which labels of the latest published version have no consent record, and which items have no label."""
    catalog.require_curator(actor, dataset_id)
    version = catalog.latest_published(db, dataset_id)
    if version is None:
        return Coverage(None, [], [], 0, 0)
    counts = catalog.subject_counts(db, version.id)
    kept = {r.subject: r for r in db.scalars(select(ConsentRecord).where(ConsentRecord.dataset_id == dataset_id))}
    labels = sorted(s for s in counts if s)
    return Coverage(
        version=version.label,
        missing=[(s, counts[s]) for s in labels if s not in kept],
        withdrawn=[(s, counts[s]) for s in labels if s in kept and kept[s].withdrawn_at is not None],
        unlabelled=sum(n for s, n in counts.items() if not s),
        covered=sum(1 for s in labels if s in kept and kept[s].withdrawn_at is None),
    )

"""The privacy desk's tables: a data subject's removal request, the files found for it, the deletion notices
sent to licensees, the per-blob search index (faces and perceptual hashes), and the consent registry."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, utcnow


class RemovalRequest(Base):
    """A person's request to be removed from a dataset. No account: the contact address is proven by a one-use
    link, and the requester follows the request from a private link whose secret is kept only as a hash."""

    __tablename__ = "removal_request"
    __table_args__ = (Index("ix_removal_request_dataset_status", "dataset_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    # unproven → received (proven) → under_review → done | declined
    status: Mapped[str] = mapped_column(String(20), default="unproven")
    what: Mapped[str] = mapped_column(Text, default="")  # what to remove, in the requester's words
    why: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)  # identity labels the requester knows, if any
    paths: Mapped[list[str]] = mapped_column(JSON, default=list)  # file names or path patterns, if known
    photo_key: Mapped[str | None] = mapped_column(String(200))  # the photo in the blob store until the search ran
    photo_deleted_at: Mapped[datetime | None]
    proof_hash: Mapped[str | None] = mapped_column(String(64))  # sha256 of the one-use proof secret
    follow_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the private follow-link secret
    address_hash: Mapped[str] = mapped_column(String(64), default="")  # for the per-address rate limit only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    proven_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]  # one month after proof (GDPR Art. 12(3))
    escalated_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")  # what the requester reads
    old_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_version.id", ondelete="SET NULL"))
    new_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_version.id", ondelete="SET NULL"))
    removed_count: Mapped[int] = mapped_column(default=0)


class RemovalMatch(Base):
    """A file found for a request, by one method with its score; the curator selects the true matches."""

    __tablename__ = "removal_match"
    __table_args__ = (UniqueConstraint("request_id", "item_id", "method"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("removal_request.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(20))  # label | path | phash | face
    score: Mapped[float] = mapped_column(default=1.0)  # 1.0 exact; similarity otherwise
    selected: Mapped[bool] = mapped_column(default=False)
    found_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeletionNotice(Base):
    """What one licensee must delete after a removal: exactly the removed files their download log shows they
    received (or nothing, kind "changed": the dataset changed under their grant), by a due date, attested."""

    __tablename__ = "deletion_notice"
    __table_args__ = (UniqueConstraint("request_id", "user_id"), Index("ix_deletion_notice_user", "user_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("removal_request.id", ondelete="CASCADE"))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    entitlement_id: Mapped[int | None] = mapped_column(ForeignKey("entitlement.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # delete | changed
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"version", "path", "sha256", "size"}]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    attested_at: Mapped[datetime | None]
    attestation: Mapped[str] = mapped_column(Text, default="")


class BlobIndex(Base):
    """What the search knows about one stored image, keyed by its sha256 so a new version indexes only new blobs:
    its perceptual hash and each face found (box, detector score, 128-d embedding as float32 bytes)."""

    __tablename__ = "privacy_blob_index"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    phash: Mapped[str | None] = mapped_column(String(32))  # hex; None: not an image Pillow can read
    # [{"box": [x0, y0, x1, y1], "score": float}]
    faces: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    embeddings: Mapped[bytes] = mapped_column(LargeBinary, default=b"")  # len(faces) x 128 float32, row-major
    detector: Mapped[str] = mapped_column(String(60), default="")
    error: Mapped[str | None] = mapped_column(Text)  # why the image could not be indexed
    indexed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentRecord(Base):
    """What one subject of a dataset (by their label) consented to and when, the scanned form, and their private
    withdrawal link, kept only as the hash of its secret. Withdrawing opens a removal request for the label."""

    __tablename__ = "consent_record"
    __table_args__ = (UniqueConstraint("dataset_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(200))  # the label the dataset's items carry
    consented_at: Mapped[date]
    scope: Mapped[str] = mapped_column(Text, default="")  # what was consented to, in the form's words
    form_sha256: Mapped[str | None] = mapped_column(String(64))  # the scanned form; the blob store's key
    form_type: Mapped[str | None] = mapped_column(String(40))  # sniffed: PDF, PNG or JPEG
    form_size: Mapped[int | None]
    form_name: Mapped[str | None] = mapped_column(String(200))
    withdraw_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the withdrawal link's secret
    withdrawn_at: Mapped[datetime | None]
    removal_request_id: Mapped[int | None] = mapped_column(ForeignKey("removal_request.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None]


ANONYMISATION_STATES = ("running", "review", "ready", "published", "cancelled", "failed")


class Anonymisation(Base):
    """One anonymisation of a version: the options, the draft version it writes, and the privacy report's
    numbers (public once the draft is published; the per-file rows are the curator's)."""

    __tablename__ = "anonymisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    source_version_id: Mapped[int] = mapped_column(ForeignKey("dataset_version.id", ondelete="CASCADE"))
    # SET NULL: cancelling deletes the draft; the run's record (who, when, options) stays
    draft_version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_version.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detector: Mapped[str] = mapped_column(String(200), default="")
    # the report, filled when the job finishes and kept up to date by the curator's review
    files: Mapped[int] = mapped_column(default=0)  # in the source version
    scanned: Mapped[int] = mapped_column(default=0)  # images read
    faces: Mapped[int] = mapped_column(default=0)  # blurred (found, and drawn by the curator)
    images_with_faces: Mapped[int] = mapped_column(default=0)
    metadata_cleaned: Mapped[int] = mapped_column(default=0)  # images that carried metadata
    metadata_fields: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # "GPS": images that had it
    second_pass_found: Mapped[int] = mapped_column(default=0)  # images where only the second detector saw a face
    unreadable: Mapped[int] = mapped_column(default=0)  # images kept as they were, unread
    not_images: Mapped[int] = mapped_column(default=0)  # other files, kept as they are
    flagged: Mapped[int] = mapped_column(default=0)
    reviewed: Mapped[int] = mapped_column(default=0)  # flagged files a curator has looked at
    dropped: Mapped[int] = mapped_column(default=0)  # files the curator left out of the new version
    seconds: Mapped[float] = mapped_column(default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    heartbeat_at: Mapped[datetime | None]  # the job's last committed batch: a run silent for long was killed
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]


REVIEW_DECISIONS = ("fine", "boxes", "drop")


class AnonymisedFile(Base):
    """What the anonymisation did to one file of the source version: committed a batch at a time, so a killed
    job goes on from the last batch. `sha256` is the file in the new version (the source's when unchanged)."""

    __tablename__ = "anonymised_file"
    __table_args__ = (UniqueConstraint("anonymisation_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    anonymisation_id: Mapped[int] = mapped_column(ForeignKey("anonymisation.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(1000))
    source_sha256: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    # [{"box": [x0, y0, x1, y1], "score": float, "by": "centerface" | "centerface-2x" | "curator"}]
    faces: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    removed: Mapped[list[str]] = mapped_column(JSON, default=list)  # metadata kinds removed
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)  # what a person should know (CMYK, frames, ...)
    look: Mapped[bool] = mapped_column(default=False)  # flagged: must be reviewed before publishing
    problem: Mapped[str | None] = mapped_column(Text)  # why it was kept unread (not an image, unreadable)
    decision: Mapped[str | None] = mapped_column(String(10))  # REVIEW_DECISIONS, by a curator
    boxes: Mapped[list[list[float]]] = mapped_column(JSON, default=list)  # drawn by the curator, blurred too
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None]

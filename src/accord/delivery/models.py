from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from accord.db import Base, utcnow


class DownloadLog(Base):
    """Which bytes of which object a licensee received: one row per finished response (written in batches).

    With the licensee's manifest, this is what the privacy desk uses to say which files to delete."""

    __tablename__ = "download_log"
    __table_args__ = (Index("ix_download_log_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    entitlement_id: Mapped[int | None] = mapped_column(ForeignKey("entitlement.id", ondelete="SET NULL"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_version.id", ondelete="SET NULL"))
    object: Mapped[str] = mapped_column(String(200))  # item:<version>:<sha256>, shard:<version>:<n>, ...
    offset: Mapped[int] = mapped_column(BigInteger, default=0)  # first byte sent
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)  # how many bytes were sent from there
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Why the server cut the answer short (a refusal code: revoked, ended, terms_changed); None: it ran to its
    # end, or the client left.
    stopped: Mapped[str | None] = mapped_column(String(40))

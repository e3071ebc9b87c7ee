from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.db import Base, utcnow

ROLES = ("admin", "curator", "reviewer", "applicant")


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    email_verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]
    # How a reviewer hears of new applications: "each" (a mail per application) or "digest" (one a day).
    review_mail: Mapped[str] = mapped_column(String(10), default="each", server_default="each")

    roles: Mapped[list[RoleGrant]] = relationship(back_populates="user", lazy="selectin", cascade="all, delete-orphan")

    @property
    def is_admin(self) -> bool:
        return any(r.role == "admin" for r in self.roles)

    @property
    def may_curate(self) -> bool:
        """Admin, or curator of at least one dataset: the catalogue administration pages apply."""
        return any(r.role in ("admin", "curator") for r in self.roles)


class RoleGrant(Base):
    """A role, global (dataset_id NULL) or for one dataset (curator and reviewer)."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "dataset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")


class WebSession(Base):
    """A browser login. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class ApiToken(Base):
    """A personal token for the API and CLI. Shown once; only its hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed logins per key (e-mail or client address); unknown e-mails are throttled too."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]
    blocked_until: Mapped[datetime | None]


class Organisation(Base):
    """An organisation registered with this instance: addresses at its domain (or a subdomain) count as
    institutional in the applicant checks, as academic domains do."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    domain: Mapped[str] = mapped_column(String(253), unique=True)  # stored lower-cased, no leading dot
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)


class OidcLoginRequest(Base):
    """A sign-in sent to an OpenID Connect provider and not yet answered. The browser keeps the state in a cookie
    too; the row makes each state usable once and keeps the nonce and PKCE verifier off the browser."""

    __tablename__ = "oidc_login_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    provider: Mapped[str] = mapped_column(String(40))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_url: Mapped[str] = mapped_column(String(2000), default="/")
    # Set when a signed-in user (who proved their password) links this provider to their account.
    link_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class OidcIdentity(Base):
    """An account at a provider (issuer and subject) that signs in as one of ours, with what the provider said
    at the latest sign-in."""

    __tablename__ = "oidc_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320))  # as the provider gave it last
    affiliation: Mapped[list[str]] = mapped_column(JSON, default=list)
    # What of it the institutional check may count: from a trusted provider, of a kind its settings allow, as
    # [{"provider": display name, "claim": claim name, "value": value}] (settings can change after the login).
    evidence: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


Index("ix_role_grant_dataset", RoleGrant.dataset_id)

"""Personal API tokens for the API and CLI: shown once, only their hash stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.db import unit_of_work, utcnow
from accord.errors import InvalidInput, NotFound
from accord.identity.models import ApiToken, User


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class NewToken:
    token: ApiToken
    secret: str  # shown to the user once


def create_api_token(
    db: Session, user: User, *, name: str, expires_at: datetime | None = None, actor: User | str | None = None
) -> NewToken:
    """A new personal token; its secret is in the result only, never stored in clear."""
    name = name.strip()
    if not name:
        raise InvalidInput("give the token a name, e.g. the machine it is for", field="name")
    if len(name) > 100:
        raise InvalidInput("a token name may have at most 100 characters", field="name")
    secret = "acc_" + secrets.token_urlsafe(32)
    with unit_of_work(db):
        row = ApiToken(user_id=user.id, name=name, prefix=secret[:10], token_hash=_sha(secret), expires_at=expires_at)
        db.add(row)
        db.flush()
        audit.record(
            db, actor=actor or user, action="api_token.created", object=("api_token", row.id), data={"name": name}
        )
    return NewToken(row, secret)


def user_for_api_token(db: Session, secret: str | None, *, now: datetime | None = None) -> User | None:
    if not secret:
        return None
    now = now or utcnow()
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == _sha(secret)))
    if row is None or row.revoked_at or (row.expires_at and row.expires_at <= now):
        return None
    user = db.get(User, row.user_id)
    return None if user is None or user.disabled_at else user


def get_api_token(db: Session, user: User, token_id: int) -> ApiToken:
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("no such token")
    return row


def list_api_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_api_token(db: Session, user: User, token_id: int) -> ApiToken:
    with unit_of_work(db):
        row = get_api_token(db, user, token_id)
        if not row.revoked_at:
            row.revoked_at = utcnow()
            audit.record(db, actor=user, action="api_token.revoked", object=("api_token", row.id))
    return row

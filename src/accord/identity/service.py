"""Accounts, logins, sessions, API tokens and roles."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.db import unit_of_work, utcnow
from accord.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RateLimited
from accord.identity.models import ROLES, ApiToken, LoginThrottle, RoleGrant, User, WebSession

_hasher = PasswordHasher()
MIN_PASSWORD = 10
VERIFY_TTL = timedelta(days=2)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"not a valid e-mail address: {exc}", field="email") from None


def check_password_strength(password: str, email: str = "") -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters", field="password")
    if email and password.lower() == email.lower():
        raise InvalidInput("the password must not be your e-mail address", field="password")


# --- accounts -------------------------------------------------------------------------------------------

def register(db: Session, *, email: str, name: str, password: str, actor=None) -> User:
    """Create an applicant account; the e-mail stays unverified until the link is followed."""
    email = normalize_email(email)
    name = name.strip()
    if not name:
        raise InvalidInput("please give your name", field="name")
    check_password_strength(password, email)
    with unit_of_work(db):
        if db.scalar(select(User.id).where(User.email == email)):
            raise Conflict("an account with this e-mail address already exists", field="email")
        user = User(email=email, name=name, password_hash=_hasher.hash(password))
        user.roles.append(RoleGrant(role="applicant"))
        db.add(user)
        db.flush()
        audit.record(db, actor=actor or user, action="user.registered", object=("user", user.id),
                     data={"email": email})
    return user


def create_user(db: Session, *, email: str, name: str, password: str, roles: list[str] = (),
                verified: bool = True, actor=None) -> User:
    """Administrative creation (CLI, demo): global roles and a verified address."""
    email = normalize_email(email)
    check_password_strength(password, email)
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise InvalidInput(f"unknown role(s): {', '.join(bad)}; choose from {', '.join(ROLES)}", field="roles")
    with unit_of_work(db):
        if db.scalar(select(User.id).where(User.email == email)):
            raise Conflict(f"an account with the e-mail address {email} already exists", field="email")
        user = User(email=email, name=name.strip() or email, password_hash=_hasher.hash(password),
                    email_verified_at=utcnow() if verified else None)
        for role in dict.fromkeys(["applicant", *roles]):
            user.roles.append(RoleGrant(role=role))
        db.add(user)
        db.flush()
        audit.record(db, actor=actor or "cli", action="user.created", object=("user", user.id),
                     data={"email": email, "roles": sorted(set(roles))})
    return user


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def user_by_email(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no account with the e-mail address {email}")
    return user


# --- login throttling ----------------------------------------------------------------------------------

def _backoff(failures: int, allowed: int) -> timedelta:
    """No delay for the first few mistakes, then 2, 4, 8 ... seconds, capped at 15 minutes."""
    over = failures - allowed
    if over < 0:
        return timedelta(0)
    return timedelta(seconds=min(2 ** (over + 1), 900))


def _throttle_check(db: Session, keys: list[str], now: datetime) -> None:
    for row in db.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))):
        if row.blocked_until and row.blocked_until > now:
            wait = int((row.blocked_until - now).total_seconds()) + 1
            raise RateLimited(f"too many failed logins; try again in {wait} seconds", retry_after=wait)


def _throttle_fail(db: Session, keys: list[str], now: datetime, allowed: int) -> None:
    for key in keys:
        row = db.get(LoginThrottle, key) or LoginThrottle(key=key, failures=0)
        row.failures += 1
        row.last_failure_at = now
        delay = _backoff(row.failures, allowed)
        row.blocked_until = now + delay if delay else None
        db.add(row)


def authenticate(db: Session, *, email: str, password: str, client: str = "", allowed_failures: int = 5,
                 now: datetime | None = None) -> User:
    """Check a password. Repeated failures slow further attempts for that account and that client."""
    now = now or utcnow()
    email = email.strip().lower()
    keys = [f"email:{email}"] + ([f"client:{client}"] if client else [])
    _throttle_check(db, keys, now)
    user = db.scalar(select(User).where(User.email == email))
    ok = False
    if user and user.password_hash and not user.disabled_at:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    else:
        _hasher.hash(password)  # same work either way: response time does not reveal accounts
    with unit_of_work(db):
        if not ok:
            _throttle_fail(db, keys, now, allowed_failures)
            audit.record(db, actor=email or "anonymous", action="login.failed", object=("user", email),
                         data={"client": client})
        else:
            db.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
    if not ok:
        raise NotAuthenticated("wrong e-mail address or password")
    return user


def change_password(db: Session, user: User, *, old: str, new: str) -> None:
    try:
        _hasher.verify(user.password_hash or "", old)
    except (VerificationError, InvalidHashError):
        raise InvalidInput("the current password is wrong", field="old_password") from None
    check_password_strength(new, user.email)
    with unit_of_work(db):
        user.password_hash = _hasher.hash(new)
        db.add(user)
        audit.record(db, actor=user, action="user.password_changed", object=("user", user.id))


# --- browser sessions ----------------------------------------------------------------------------------

def start_session(db: Session, user: User, *, ttl: timedelta, now: datetime | None = None) -> str:
    """Returns the cookie value; only its hash is stored."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    with unit_of_work(db):
        db.add(WebSession(token_hash=_sha(token), user_id=user.id, created_at=now, expires_at=now + ttl))
        audit.record(db, actor=user, action="login.succeeded", object=("user", user.id))
    return token


def user_for_session(db: Session, token: str | None, *, now: datetime | None = None) -> User | None:
    if not token:
        return None
    now = now or utcnow()
    row = db.scalar(select(WebSession).where(WebSession.token_hash == _sha(token)))
    if row is None or row.revoked_at or row.expires_at <= now:
        return None
    user = db.get(User, row.user_id)
    return None if user is None or user.disabled_at else user


def end_session(db: Session, token: str | None) -> None:
    if not token:
        return
    with unit_of_work(db):
        row = db.scalar(select(WebSession).where(WebSession.token_hash == _sha(token)))
        if row and not row.revoked_at:
            row.revoked_at = utcnow()
            audit.record(db, actor=db.get(User, row.user_id), action="logout", object=("user", row.user_id))


# --- API tokens ----------------------------------------------------------------------------------------

@dataclass
class NewToken:
    token: ApiToken
    secret: str  # shown to the user once


def create_api_token(db: Session, user: User, *, name: str, expires_at: datetime | None = None) -> NewToken:
    name = name.strip()
    if not name:
        raise InvalidInput("give the token a name, e.g. the machine it is for", field="name")
    secret = "acc_" + secrets.token_urlsafe(32)
    with unit_of_work(db):
        row = ApiToken(user_id=user.id, name=name, prefix=secret[:10], token_hash=_sha(secret),
                       expires_at=expires_at)
        db.add(row)
        db.flush()
        audit.record(db, actor=user, action="api_token.created", object=("api_token", row.id),
                     data={"name": name})
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


def list_api_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_api_token(db: Session, user: User, token_id: int) -> None:
    with unit_of_work(db):
        row = db.get(ApiToken, token_id)
        if row is None or row.user_id != user.id:
            raise NotFound("no such token")
        if not row.revoked_at:
            row.revoked_at = utcnow()
            audit.record(db, actor=user, action="api_token.revoked", object=("api_token", row.id))


# --- e-mail verification -------------------------------------------------------------------------------

def _verifier(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="accord.verify-email")


def email_verification_token(secret: str, user: User) -> str:
    return _verifier(secret).dumps({"u": user.id, "e": user.email})


def verify_email(db: Session, secret: str, token: str, *, max_age: timedelta = VERIFY_TTL) -> User:
    try:
        data = _verifier(secret).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise InvalidInput("this verification link has expired; ask for a new one") from None
    except BadSignature:
        raise InvalidInput("this verification link is not valid") from None
    with unit_of_work(db):
        user = db.get(User, data["u"])
        if user is None or user.email != data["e"]:
            raise InvalidInput("this verification link is not valid")
        if not user.email_verified_at:
            user.email_verified_at = utcnow()
            audit.record(db, actor=user, action="user.email_verified", object=("user", user.id))
    return user


# --- roles ---------------------------------------------------------------------------------------------

def has_role(user: User | None, role: str, *, dataset_id: int | None = None) -> bool:
    """Admins can do everything; a global curator/reviewer covers every dataset."""
    if user is None:
        return False
    for grant in user.roles:
        if grant.role == "admin":
            return True
        if grant.role == role and (grant.dataset_id is None or grant.dataset_id == dataset_id):
            return True
    return False


def require_role(user: User | None, role: str, *, dataset_id: int | None = None) -> User:
    if user is None:
        raise NotAuthenticated("please log in")
    if not has_role(user, role, dataset_id=dataset_id):
        raise PermissionDenied(f"this needs the {role} role" + (" for this dataset" if dataset_id else ""))
    return user


def grant_role(db: Session, user: User, role: str, *, dataset_id: int | None = None, actor=None) -> RoleGrant:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose from {', '.join(ROLES)}", field="role")
    if role in ("admin", "applicant") and dataset_id is not None:
        raise InvalidInput(f"the {role} role cannot be limited to one dataset", field="role")
    with unit_of_work(db):
        existing = next((g for g in user.roles if g.role == role and g.dataset_id == dataset_id), None)
        if existing:
            return existing
        grant = RoleGrant(role=role, dataset_id=dataset_id)
        user.roles.append(grant)
        db.flush()
        audit.record(db, actor=actor or "cli", action="role.granted", object=("user", user.id),
                     data={"role": role, "dataset_id": dataset_id})
    return grant


def revoke_role(db: Session, user: User, role: str, *, dataset_id: int | None = None, actor=None) -> None:
    with unit_of_work(db):
        grant = next((g for g in user.roles if g.role == role and g.dataset_id == dataset_id), None)
        if grant is None:
            raise NotFound("the user does not have this role")
        user.roles.remove(grant)
        audit.record(db, actor=actor or "cli", action="role.revoked", object=("user", user.id),
                     data={"role": role, "dataset_id": dataset_id})

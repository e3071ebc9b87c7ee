"""Accounts, logins, sessions, API tokens and roles."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.db import unit_of_work, utcnow
from accord.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, RateLimited
from accord.identity import throttle
from accord.identity.models import ROLES, RoleGrant, User, WebSession
from accord.identity.roles import admin_emails as admin_emails
from accord.identity.roles import curator_emails as curator_emails
from accord.identity.roles import grant_role as grant_role
from accord.identity.roles import has_role as has_role
from accord.identity.roles import require_role as require_role
from accord.identity.roles import revoke_role as revoke_role

# Re-exported (`X as X`): callers build LoginLimits from settings; roles are part of this service's surface.
from accord.identity.throttle import LoginLimits as LoginLimits
from accord.identity.tokens import NewToken as NewToken
from accord.identity.tokens import create_api_token as create_api_token
from accord.identity.tokens import get_api_token as get_api_token
from accord.identity.tokens import list_api_tokens as list_api_tokens
from accord.identity.tokens import revoke_api_token as revoke_api_token
from accord.identity.tokens import user_for_api_token as user_for_api_token
from accord.notify import service as notify

_hasher = PasswordHasher()
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 hashes anything, but a megabyte "password" is only a way to burn our CPU
VERIFY_TTL = timedelta(days=2)
RESEND_INTERVAL = timedelta(minutes=2)


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
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"the password may have at most {MAX_PASSWORD} characters", field="password")
    if email and password.lower() == email.lower():
        raise InvalidInput("the password must not be your e-mail address", field="password")


# --- accounts -------------------------------------------------------------------------------------------


def register(
    db: Session, *, email: str, name: str, password: str, secret: str, base_url: str, actor: User | str | None = None
) -> User:
    """Create an applicant account and send the verification link; unverified until it is followed."""
    email = normalize_email(email)
    name = name.strip()
    if not name:
        raise InvalidInput("please give your name", field="name")
    if len(name) > 200:
        raise InvalidInput("a name may have at most 200 characters", field="name")
    check_password_strength(password, email)
    with unit_of_work(db):
        if db.scalar(select(User.id).where(User.email == email)):
            raise Conflict("an account with this e-mail address already exists", field="email")
        user = User(email=email, name=name, password_hash=_hasher.hash(password))
        user.roles.append(RoleGrant(role="applicant"))
        db.add(user)
        db.flush()
        audit.record(db, actor=actor or user, action="user.registered", object=("user", user.id), data={"email": email})
        _enqueue_verification(db, user, secret=secret, base_url=base_url)
    return user


def create_user(
    db: Session,
    *,
    email: str,
    name: str,
    password: str,
    roles: Sequence[str] = (),
    verified: bool = True,
    actor: User | str | None = None,
) -> User:
    """Administrative creation (CLI, demo): global roles and a verified address."""
    email = normalize_email(email)
    check_password_strength(password, email)
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise InvalidInput(f"unknown role(s): {', '.join(bad)}; choose from {', '.join(ROLES)}", field="roles")
    with unit_of_work(db):
        if db.scalar(select(User.id).where(User.email == email)):
            raise Conflict(f"an account with the e-mail address {email} already exists", field="email")
        user = User(
            email=email,
            name=name.strip() or email,
            password_hash=_hasher.hash(password),
            email_verified_at=utcnow() if verified else None,
        )
        for role in dict.fromkeys(["applicant", *roles]):
            user.roles.append(RoleGrant(role=role))
        db.add(user)
        db.flush()
        audit.record(
            db,
            actor=actor or "cli",
            action="user.created",
            object=("user", user.id),
            data={"email": email, "roles": sorted(set(roles))},
        )
    return user


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.id)))


def user_by_id(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    return user


def users_by_id(db: Session, ids: Iterable[int]) -> dict[int, User]:
    """The accounts with these ids, in one query (for lists that name each row's person)."""
    wanted = set(ids)
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(wanted)))} if wanted else {}


def user_by_email(db: Session, email: str) -> User:
    user = db.scalar(select(User).where(User.email == _login_email(email)))
    if user is None:
        raise NotFound(f"no account with the e-mail address {email}")
    return user


# --- logging in ----------------------------------------------------------------------------------------


def authenticate(
    db: Session,
    *,
    email: str,
    password: str,
    client: str = "",
    limits: LoginLimits = LoginLimits(),
    now: datetime | None = None,
) -> User:
    """Check a password. Repeated failures slow further attempts (see `throttle`): strictly for this account
    from this client, more loosely for the account from anywhere and for the client over all accounts."""
    now = now or utcnow()
    email = _login_email(email)[:320]  # the longest address there is; keys and audit stay bounded
    keys = throttle.keys(email, client[:64])
    throttle.check(db, keys, now)
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
        if ok and user and user.password_hash:
            throttle.succeeded(db, keys)
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
        else:
            throttle.failed(db, keys, now, limits)
            audit.record(
                db,
                actor=email or "anonymous",
                action="login.failed",
                object=("user", user.id if user else "unknown"),
                data={"client": client[:100]},
            )
    if not ok or user is None:
        raise NotAuthenticated("wrong e-mail address or password")
    return user


def _login_email(email: str) -> str:
    """The stored form of an address, or the lower-cased input when it is not an address at all."""
    try:
        return normalize_email(email)
    except InvalidInput:
        return email.strip().lower()


def change_password(db: Session, user: User, *, old: str, new: str, keep_session: str | None = None) -> None:
    """Set a new password and end every other browser session of this user."""
    try:
        _hasher.verify(user.password_hash or "", old)
    except (VerificationError, InvalidHashError):
        raise InvalidInput("the current password is wrong", field="old_password") from None
    check_password_strength(new, user.email)
    with unit_of_work(db):
        user.password_hash = _hasher.hash(new)
        db.add(user)
        others = select(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))
        if keep_session:
            others = others.where(WebSession.token_hash != _sha(keep_session))
        for row in db.scalars(others):
            row.revoked_at = utcnow()
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


# --- e-mail verification -------------------------------------------------------------------------------


class _ClockSigner(TimestampSigner):
    """A TimestampSigner whose clock can be set, so link expiry is testable without waiting."""

    def __init__(self, *args: Any, at: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.at = at

    def get_timestamp(self) -> int:
        return int(self.at.timestamp()) if self.at else super().get_timestamp()


def _verifier(secret: str, now: datetime | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="accord.verify-email", signer=_ClockSigner, signer_kwargs={"at": now})


def email_verification_token(secret: str, user: User, *, now: datetime | None = None) -> str:
    return _verifier(secret, now).dumps({"u": user.id, "e": user.email})


def verification_link(secret: str, base_url: str, user: User) -> str:
    return f"{base_url.rstrip('/')}/verify-email?token={email_verification_token(secret, user)}"


def _enqueue_verification(db: Session, user: User, *, secret: str, base_url: str) -> None:
    notify.enqueue(
        db,
        "verify-email",
        to=user.email,
        name=user.name,
        email=user.email,
        link=verification_link(secret, base_url, user),
        site=base_url,
        valid_days=VERIFY_TTL.days,
    )


def resend_verification(db: Session, user: User, *, secret: str, base_url: str, now: datetime | None = None) -> None:
    """Send a fresh verification link, at most one every few minutes."""
    now = now or utcnow()
    if user.email_verified_at:
        raise InvalidInput("your e-mail address is already confirmed")
    last = notify.last_enqueued_at(db, to=user.email, template="verify-email")
    if last and now - last < RESEND_INTERVAL:
        wait = int((last + RESEND_INTERVAL - now).total_seconds()) + 1
        raise RateLimited(f"a link was sent a moment ago; you can ask again in {wait} seconds", retry_after=wait)
    with unit_of_work(db):
        _enqueue_verification(db, user, secret=secret, base_url=base_url)
        audit.record(db, actor=user, action="user.verification_resent", object=("user", user.id))


def verify_email(
    db: Session, secret: str, token: str, *, max_age: timedelta = VERIFY_TTL, now: datetime | None = None
) -> User:
    """Mark the address confirmed if the signed link is genuine, unexpired and still names this address."""
    try:
        data = _verifier(secret, now).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise InvalidInput("this verification link has expired; ask for a new one") from None
    except BadSignature:
        raise InvalidInput("this verification link is not valid") from None
    with unit_of_work(db):
        user = db.get(User, data["u"])
        if user is None or user.email != data["e"]:
            raise InvalidInput("this verification link is not valid")
        if not user.email_verified_at:
            user.email_verified_at = now or utcnow()
            audit.record(db, actor=user, action="user.email_verified", object=("user", user.id))
    return user


# The door: organisations whose mail domain counts as institutional (the access checks read them).
from accord.identity.organisations import by_domain as organisation_by_domain  # noqa: E402
from accord.identity.organisations import domains as organisation_domains  # noqa: E402
from accord.identity.organisations import listed as organisations  # noqa: E402
from accord.identity.organisations import register as register_organisation  # noqa: E402

__all__ = ["organisation_by_domain", "organisation_domains", "organisations", "register_organisation"]

# The door: signing in through OpenID Connect providers (the protocol in oidc, the accounts in oidc_accounts).
from accord.identity import oidc as _oidc  # noqa: E402
from accord.identity import oidc_accounts as _oidc_accounts  # noqa: E402

OidcProviderCache = _oidc.ProviderCache
OidcProviderUnavailable = _oidc.ProviderUnavailable
oidc_authorization_request = _oidc.authorization_request
oidc_finish = _oidc.finish
oidc_provider_named = _oidc.provider_named
OidcAccountExists = _oidc_accounts.AccountExists
OidcUnverifiedEmail = _oidc_accounts.UnverifiedEmail
oidc_begin = _oidc_accounts.begin
oidc_identities = _oidc_accounts.identities
oidc_link = _oidc_accounts.link
oidc_sign_in = _oidc_accounts.sign_in
oidc_take = _oidc_accounts.take
oidc_affiliation_evidence = _oidc_accounts.affiliation_evidence
OIDC_REQUEST_TTL = _oidc_accounts.REQUEST_TTL

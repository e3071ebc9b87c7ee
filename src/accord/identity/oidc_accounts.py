"""Signing in through OpenID Connect providers, the accounts half: the pending sign-ins (state used once), and
the accounts the verified claims make, find or link. A provider never signs in as an account it did not make
or was not linked to by the account's owner: asserting someone's e-mail address is not enough."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.audit import service as audit
from accord.config import OidcProvider
from accord.db import unit_of_work, utcnow
from accord.errors import Conflict, InvalidInput, NotAuthenticated, PermissionDenied
from accord.identity.models import OidcIdentity, OidcLoginRequest, RoleGrant, User
from accord.identity.oidc import AuthRequest

REQUEST_TTL = timedelta(minutes=10)  # time to sign in at the provider
START_AGAIN = "please start again from the login page"


class UnverifiedEmail(PermissionDenied):
    """The provider gave an e-mail address it has not confirmed: no account is made from it."""


class AccountExists(Conflict):
    """The provider's e-mail address belongs to an account here that it is not linked to."""


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def begin(
    db: Session,
    provider: OidcProvider,
    auth: AuthRequest,
    *,
    next_url: str = "/",
    link_user: User | None = None,
    now: datetime | None = None,
) -> None:
    """Remember a sign-in sent to the provider: its state (hashed), nonce and PKCE verifier."""
    now = now or utcnow()
    with unit_of_work(db):
        # Unanswered ones are of no use after their time: anyone can start sign-ins, so none are kept long.
        db.execute(delete(OidcLoginRequest).where(OidcLoginRequest.created_at < now - 2 * REQUEST_TTL))
        db.add(
            OidcLoginRequest(
                state_hash=_sha(auth.state),
                provider=provider.name,
                nonce=auth.nonce,
                code_verifier=auth.code_verifier,
                next_url=next_url[:2000],
                link_user_id=link_user.id if link_user else None,
                created_at=now,
            )
        )


def take(
    db: Session, provider: OidcProvider, *, state: str, browser_state: str | None, now: datetime | None = None
) -> OidcLoginRequest:
    """The pending sign-in this answer belongs to, used up. The state must be the one this browser was sent
    with (its cookie) and one we issued, for this provider, unused and recent."""
    now = now or utcnow()
    if not state or not browser_state or not hmac.compare_digest(state.encode(), browser_state.encode()):
        raise NotAuthenticated(f"this sign-in answer is not for a sign-in started in this browser; {START_AGAIN}")
    with unit_of_work(db):
        row = db.scalar(select(OidcLoginRequest).where(OidcLoginRequest.state_hash == _sha(state)))
        if row is None or row.provider != provider.name:
            raise NotAuthenticated(f"this sign-in answer does not match a sign-in we started; {START_AGAIN}")
        if row.used_at:
            raise NotAuthenticated(f"this sign-in answer was used already; {START_AGAIN}")
        if now - row.created_at > REQUEST_TTL:
            raise NotAuthenticated(f"this sign-in took too long; {START_AGAIN}")
        row.used_at = now
    return row


def affiliation_of(provider: OidcProvider, claims: dict[str, Any]) -> list[str]:
    value = claims.get(provider.claim("affiliation"))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [str(v)[:200] for v in value if isinstance(v, str) and v.strip()][:50]


def evidence_of(provider: OidcProvider, affiliation: list[str]) -> list[dict[str, str]]:
    """The affiliations the institutional check may count: only a trusted provider's, and only of the kinds
    (the part before the @ of a scoped affiliation) its settings allow."""
    if not provider.trusted:
        return []
    kinds = {k.lower() for k in provider.trusted_affiliations}
    claim = provider.claim("affiliation")
    return [
        {"provider": provider.display_name, "claim": claim, "value": value}
        for value in affiliation
        if value.split("@", 1)[0].strip().lower() in kinds
    ]


def affiliation_evidence(db: Session, user: User) -> list[tuple[str, str, str]]:
    """(provider, claim, value) for each trusted affiliation the user's providers gave at their latest login."""
    rows = db.scalars(select(OidcIdentity).where(OidcIdentity.user_id == user.id).order_by(OidcIdentity.id))
    return [(e["provider"], e["claim"], e["value"]) for row in rows for e in (row.evidence or [])]


def _verified(value: object) -> bool:
    # Some providers send the boolean as a string.
    return value is True or (isinstance(value, str) and value.lower() == "true")


def sign_in(db: Session, provider: OidcProvider, claims: dict[str, Any], *, now: datetime | None = None) -> User:
    """The account these verified claims sign in as: the one linked to this issuer and subject, or a new one
    made from a confirmed e-mail address that no account here has."""
    from accord.identity.service import normalize_email  # the service imports this module

    now = now or utcnow()
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    display = provider.display_name
    affiliation = affiliation_of(provider, claims)
    raw_email = claims.get(provider.claim("email"))
    found = db.scalar(select(OidcIdentity).where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject))
    if found is not None:
        user = db.get(User, found.user_id)
        if user is None or user.disabled_at:
            raise NotAuthenticated("this account is disabled; ask the site's administrators")
        with unit_of_work(db):
            found.provider, found.affiliation, found.last_login_at = provider.name, affiliation, now
            found.evidence = evidence_of(provider, affiliation)
            if isinstance(raw_email, str) and raw_email:
                found.email = raw_email[:320]
            audit.record(
                db,
                actor=user,
                action="login.oidc",
                object=("user", user.id),
                data={"provider": provider.name, "issuer": issuer, "affiliation": affiliation},
            )
        return user
    if not isinstance(raw_email, str) or not raw_email:
        raise InvalidInput(f"{display} did not tell us your e-mail address, which an account here needs")
    email = normalize_email(raw_email)
    if not _verified(claims.get(provider.claim("email_verified"))):
        raise UnverifiedEmail(
            f"{display} has not confirmed your e-mail address {email}, so no account can be made from it. "
            f"Confirm the address with {display} and sign in again, or register here with a password."
        )
    if db.scalar(select(User.id).where(User.email == email)):
        raise AccountExists(
            f"an account with the e-mail address {email} exists here already. Log in with its password first; "
            f"then you can link {display} to it from your account page."
        )
    name = claims.get(provider.claim("name"))
    name = name.strip()[:200] if isinstance(name, str) and name.strip() else email
    with unit_of_work(db):
        user = User(email=email, name=name, password_hash=None, email_verified_at=now)
        user.roles.append(RoleGrant(role="applicant"))
        db.add(user)
        db.flush()
        _add_identity(db, user, provider, issuer, subject, email, affiliation, now)
        audit.record(
            db,
            actor=user,
            action="user.registered",
            object=("user", user.id),
            data={"email": email, "provider": provider.name, "issuer": issuer},
        )
        audit.record(
            db,
            actor=user,
            action="login.oidc",
            object=("user", user.id),
            data={"provider": provider.name, "issuer": issuer, "affiliation": affiliation},
        )
    return user


def link(
    db: Session, user: User, provider: OidcProvider, claims: dict[str, Any], *, now: datetime | None = None
) -> OidcIdentity:
    """Link the provider's account in these claims to `user` (who proved their password to start this)."""
    now = now or utcnow()
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    raw_email = claims.get(provider.claim("email"))
    email = raw_email[:320] if isinstance(raw_email, str) else ""
    affiliation = affiliation_of(provider, claims)
    with unit_of_work(db):
        found = db.scalar(select(OidcIdentity).where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject))
        if found is not None and found.user_id != user.id:
            raise Conflict(f"this {provider.display_name} account signs in to another account here already")
        if found is None:
            found = _add_identity(db, user, provider, issuer, subject, email, affiliation, now)
        else:
            found.affiliation, found.last_login_at = affiliation, now
            found.evidence = evidence_of(provider, affiliation)
        audit.record(
            db,
            actor=user,
            action="oidc.linked",
            object=("user", user.id),
            data={"provider": provider.name, "issuer": issuer, "subject": subject},
        )
    return found


def _add_identity(
    db: Session,
    user: User,
    provider: OidcProvider,
    issuer: str,
    subject: str,
    email: str,
    affiliation: list[str],
    now: datetime,
) -> OidcIdentity:
    row = OidcIdentity(
        user_id=user.id,
        provider=provider.name,
        issuer=issuer,
        subject=subject,
        email=email,
        affiliation=affiliation,
        evidence=evidence_of(provider, affiliation),
        linked_at=now,
        last_login_at=now,
    )
    db.add(row)
    db.flush()
    return row


def identities(db: Session, user: User) -> list[OidcIdentity]:
    return list(db.scalars(select(OidcIdentity).where(OidcIdentity.user_id == user.id).order_by(OidcIdentity.id)))

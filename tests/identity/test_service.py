"""Accounts, passwords, login throttling, sessions, API tokens, e-mail links and roles (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accord.audit.models import AuditEvent
from accord.catalog import service as catalog
from accord.catalog.models import Dataset
from accord.db import unit_of_work, utcnow
from accord.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied, RateLimited
from accord.identity import service as identity
from accord.identity import throttle
from accord.identity.models import User
from accord.notify.models import OutboxMessage

SECRET = "s" * 40
BASE = "http://testserver"
PASSWORD = "correct horse battery"


def _register(db, email="ada@example.org", password=PASSWORD, name="Ada Lovelace"):
    return identity.register(db, email=email, name=name, password=password, secret=SECRET, base_url=BASE)


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_registering_stores_an_argon2id_hash_the_applicant_role_and_a_verification_mail(db):
    user = _register(db, email=" Ada@Example.ORG ")
    assert user.email == "ada@example.org"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert [g.role for g in user.roles] == ["applicant"] and user.email_verified_at is None
    [mail] = db.scalars(select(OutboxMessage)).all()
    assert mail.to == "ada@example.org" and f"{BASE}/verify-email?token=" in mail.text_body
    assert db.scalar(select(AuditEvent.action).where(AuditEvent.action == "user.registered"))


def test_registering_an_existing_address_is_a_conflict_and_changes_nothing(db):
    _register(db)
    events, mails = _count(db, AuditEvent), _count(db, OutboxMessage)
    with pytest.raises(Conflict) as exc:
        _register(db, email="ADA@example.org")
    assert exc.value.field == "email"
    assert (_count(db, User), _count(db, AuditEvent), _count(db, OutboxMessage)) == (1, events, mails)


@pytest.mark.parametrize(
    ("email", "password", "name", "field"),
    [
        ("ada@example.org", "short", "Ada", "password"),
        ("ada@example.org", "ada@example.org", "Ada", "password"),
        ("ada@example.org", "x" * 2000, "Ada", "password"),
        ("not-an-address", PASSWORD, "Ada", "email"),
        ("ada@example.org", PASSWORD, "   ", "name"),
    ],
)
def test_bad_registrations_are_refused_with_the_field_and_leave_no_rows(db, email, password, name, field):
    with pytest.raises(InvalidInput) as exc:
        _register(db, email=email, password=password, name=name)
    assert exc.value.field == field
    assert (_count(db, User), _count(db, OutboxMessage), _count(db, AuditEvent)) == (0, 0, 0)


def test_the_right_password_logs_in_and_a_wrong_one_does_not(db):
    _register(db)
    assert identity.authenticate(db, email="ADA@example.org", password=PASSWORD).email == "ada@example.org"
    with pytest.raises(NotAuthenticated):
        identity.authenticate(db, email="ada@example.org", password="wrong password!")
    with pytest.raises(NotAuthenticated):
        identity.authenticate(db, email="nobody@example.org", password=PASSWORD)


def test_many_wrong_passwords_block_even_the_right_one_until_the_wait_is_over(db):
    _register(db)
    now = utcnow()
    for _ in range(5):
        with pytest.raises(NotAuthenticated):
            identity.authenticate(db, email="ada@example.org", password="guess guess guess", now=now)
    with pytest.raises(RateLimited) as exc:
        identity.authenticate(db, email="ada@example.org", password=PASSWORD, now=now + timedelta(seconds=10))
    assert exc.value.retry_after == 21
    later = now + timedelta(seconds=31)
    assert identity.authenticate(db, email="ada@example.org", password=PASSWORD, now=later).email == "ada@example.org"


def test_the_wait_doubles_with_every_further_failure():
    assert [throttle.backoff(n, 5).total_seconds() for n in (4, 5, 6, 7)] == [0, 30, 60, 120]
    assert throttle.backoff(50, 5) == timedelta(minutes=15)


def test_failures_from_one_client_over_many_accounts_are_throttled_more_loosely(db):
    now = utcnow()
    limits = identity.LoginLimits()
    for i in range(limits.address):  # each account only a few times: no pair reaches its limit
        with pytest.raises(NotAuthenticated):
            identity.authenticate(
                db, email=f"u{i // 3}@example.org", password="guess guess", client="10.0.0.9", now=now
            )
    with pytest.raises(RateLimited):
        identity.authenticate(db, email="other@example.org", password="guess guess", client="10.0.0.9", now=now)
    with pytest.raises(NotAuthenticated):  # another client is not affected
        identity.authenticate(db, email="other@example.org", password="guess guess", client="10.0.0.8", now=now)


def test_an_attacker_at_one_address_cannot_keep_the_owner_out_from_another(db):
    _register(db)
    now = utcnow()
    refused = 0
    for second in range(0, 3600, 5):  # an hour of guessing every five seconds from one address
        try:
            identity.authenticate(
                db,
                email="ada@example.org",
                password="guess guess",
                client="6.6.6.6",
                now=now + timedelta(seconds=second),
            )
        except RateLimited:
            refused += 1
        except NotAuthenticated:
            pass
    assert refused > 600  # the attacker mostly waited
    owner = identity.authenticate(
        db, email="ada@example.org", password=PASSWORD, client="192.0.2.7", now=now + timedelta(seconds=3600)
    )
    assert owner.email == "ada@example.org"
    with pytest.raises(RateLimited):  # and the attacker still waits
        identity.authenticate(
            db, email="ada@example.org", password=PASSWORD, client="6.6.6.6", now=now + timedelta(seconds=3600)
        )


def test_many_addresses_guessing_one_account_slow_it_down_everywhere(db):
    _register(db)
    now = utcnow()
    limits = identity.LoginLimits()
    for i in range(limits.account):
        with pytest.raises(NotAuthenticated):
            identity.authenticate(db, email="ada@example.org", password="guess guess", client=f"6.6.6.{i}", now=now)
    with pytest.raises(RateLimited) as exc:
        identity.authenticate(db, email="ada@example.org", password=PASSWORD, client="192.0.2.7", now=now)
    assert exc.value.retry_after == 31
    assert identity.authenticate(
        db, email="ada@example.org", password=PASSWORD, client="192.0.2.7", now=now + timedelta(seconds=31)
    )


def test_the_right_password_clears_the_account_counters(db):
    _register(db)
    now = utcnow()
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            identity.authenticate(db, email="ada@example.org", password="guess guess", client="192.0.2.7", now=now)
    identity.authenticate(db, email="ada@example.org", password=PASSWORD, client="192.0.2.7", now=now)
    for _ in range(4):  # four more: without the reset the fifth of eight would have started a wait
        with pytest.raises(NotAuthenticated):
            identity.authenticate(db, email="ada@example.org", password="guess guess", client="192.0.2.7", now=now)
    assert identity.authenticate(db, email="ada@example.org", password=PASSWORD, client="192.0.2.7", now=now)


def test_old_failures_are_forgotten_after_the_window(db):
    _register(db)
    now = utcnow()
    for _ in range(4):
        with pytest.raises(NotAuthenticated):
            identity.authenticate(db, email="ada@example.org", password="guess guess", now=now)
    later = now + throttle.THROTTLE_WINDOW + timedelta(seconds=1)
    with pytest.raises(NotAuthenticated):  # the fifth mistake, but the first in this window: no lockout
        identity.authenticate(db, email="ada@example.org", password="guess guess", now=later)
    assert identity.authenticate(db, email="ada@example.org", password=PASSWORD, now=later)


def test_sessions_expire_and_end_at_logout(db):
    user = _register(db)
    now = utcnow()
    token = identity.start_session(db, user, ttl=timedelta(hours=1), now=now)
    assert identity.user_for_session(db, token, now=now).id == user.id
    assert identity.user_for_session(db, token, now=now + timedelta(hours=1)) is None
    assert identity.user_for_session(db, "forged", now=now) is None
    identity.end_session(db, token)
    assert identity.user_for_session(db, token, now=now) is None


def test_changing_the_password_ends_the_other_sessions_but_keeps_this_one(db):
    user = _register(db)
    here = identity.start_session(db, user, ttl=timedelta(hours=1))
    there = identity.start_session(db, user, ttl=timedelta(hours=1))
    with pytest.raises(InvalidInput) as exc:
        identity.change_password(db, user, old="wrong password", new="a new long password")
    assert exc.value.field == "old_password"
    identity.change_password(db, user, old=PASSWORD, new="a new long password", keep_session=here)
    assert identity.user_for_session(db, here) and identity.user_for_session(db, there) is None
    assert identity.authenticate(db, email=user.email, password="a new long password")


def test_api_tokens_work_until_revoked_or_expired(db):
    user = _register(db)
    new = identity.create_api_token(db, user, name="laptop")
    assert new.secret.startswith("acc_") and new.token.token_hash != new.secret
    assert identity.user_for_api_token(db, new.secret).id == user.id
    identity.revoke_api_token(db, user, new.token.id)
    assert identity.user_for_api_token(db, new.secret) is None
    soon = identity.create_api_token(db, user, name="ci", expires_at=utcnow() + timedelta(hours=1))
    assert identity.user_for_api_token(db, soon.secret, now=utcnow() + timedelta(hours=2)) is None


def test_nobody_can_revoke_or_read_another_users_token(db):
    ada, bob = _register(db), _register(db, email="bob@example.org")
    new = identity.create_api_token(db, ada, name="laptop")
    with pytest.raises(NotFound):
        identity.revoke_api_token(db, bob, new.token.id)
    with pytest.raises(NotFound):
        identity.get_api_token(db, bob, new.token.id)
    assert identity.user_for_api_token(db, new.secret).id == ada.id


def test_a_verification_link_confirms_the_address_once_and_forged_or_old_links_fail(db):
    user = _register(db)
    token = identity.email_verification_token(SECRET, user)
    with pytest.raises(InvalidInput, match="not valid"):
        identity.verify_email(db, SECRET, token[:-2] + "xx")
    with pytest.raises(InvalidInput, match="not valid"):
        identity.verify_email(db, "another secret entirely", token)
    old = identity.email_verification_token(SECRET, user, now=utcnow() - identity.VERIFY_TTL - timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="expired"):
        identity.verify_email(db, SECRET, old)
    db.refresh(user)
    assert user.email_verified_at is None
    assert identity.verify_email(db, SECRET, token).email_verified_at is not None


def test_resending_the_link_is_limited_and_pointless_once_verified(db):
    user = _register(db)
    now = utcnow()
    with pytest.raises(RateLimited):
        identity.resend_verification(db, user, secret=SECRET, base_url=BASE, now=now)
    identity.resend_verification(db, user, secret=SECRET, base_url=BASE, now=now + identity.RESEND_INTERVAL)
    assert _count(db, OutboxMessage) == 2
    identity.verify_email(db, SECRET, identity.email_verification_token(SECRET, user))
    with pytest.raises(InvalidInput, match="already"):
        identity.resend_verification(db, user, secret=SECRET, base_url=BASE, now=now + timedelta(days=1))


def _dataset(db, slug="llvip"):
    with unit_of_work(db):
        ds = Dataset(slug=slug, title=slug.upper(), custodian="A lab")
        db.add(ds)
    return ds


def test_a_curator_of_one_dataset_is_not_curator_of_another_and_admins_are_everything(db):
    a, b = _dataset(db, "llvip"), _dataset(db, "shhq")
    user = _register(db)
    identity.grant_role(db, user, "curator", dataset_id=catalog.dataset_by_slug(db, "llvip").id)
    assert identity.has_role(user, "curator", dataset_id=a.id)
    assert not identity.has_role(user, "curator", dataset_id=b.id)
    assert not identity.has_role(user, "curator")
    with pytest.raises(PermissionDenied):
        identity.require_role(user, "curator", dataset_id=b.id)
    assert catalog.role_labels(db, user) == ["applicant", "curator of llvip"]
    identity.revoke_role(db, user, "curator", dataset_id=a.id)
    assert not identity.has_role(user, "curator", dataset_id=a.id)
    identity.grant_role(db, user, "admin")
    assert identity.has_role(user, "reviewer", dataset_id=b.id)


def test_bad_role_grants_are_refused_and_change_nothing(db):
    user = _register(db)
    events = _count(db, AuditEvent)
    with pytest.raises(InvalidInput):
        identity.grant_role(db, user, "overlord")
    with pytest.raises(InvalidInput):
        identity.grant_role(db, user, "admin", dataset_id=1)
    with pytest.raises(NotFound):
        identity.grant_role(db, user, "curator", dataset_id=999)
    with pytest.raises(NotFound):
        catalog.dataset_by_slug(db, "no-such-dataset")
    with pytest.raises(NotFound):
        identity.revoke_role(db, user, "curator")
    db.refresh(user)
    assert [g.role for g in user.roles] == ["applicant"] and _count(db, AuditEvent) == events


def test_an_absurdly_long_login_name_is_a_failed_login_not_a_crash(db):
    with pytest.raises(NotAuthenticated):
        identity.authenticate(db, email="x" * 5000, password="guess guess", client="10.0.0.1")
    assert db.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1)) == "login.failed"

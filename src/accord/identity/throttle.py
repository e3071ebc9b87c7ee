"""Login throttling that slows guessing without letting anyone lock someone else out.

Three counters per failed login, kept in the database so every server worker sees the same numbers:
- the account from this address (strict): a few mistakes, then waits that double;
- the account from every address (looser): only many addresses guessing together slow its owner down;
- the address over every account (looser): one address trying many accounts is slowed.
A single address cannot push the account counter to its limit: its own strict pair counter makes it wait, and
the looser counters forgive one failure per FORGIVE_EVERY. Attempts refused while a wait runs count for nothing.
A wait is answered at once (429 with Retry-After); nothing is ever locked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.errors import RateLimited
from accord.identity.models import LoginThrottle

if TYPE_CHECKING:
    from accord.config import Settings

THROTTLE_WINDOW = timedelta(minutes=15)  # the pair's failures are forgotten after this long without one
FORGIVE_EVERY = timedelta(minutes=1)  # the looser counters drop one failure per this much time
MAX_WAIT = 900


@dataclass(frozen=True)
class LoginLimits:
    """Failures allowed before waits start: for an account from one address, for an account from all
    addresses, and from one address over all accounts."""

    pair: int = 5
    account: int = 20
    address: int = 30

    @classmethod
    def of(cls, settings: Settings) -> LoginLimits:
        return cls(settings.login_max_failures, settings.login_account_failures, settings.login_address_failures)


def backoff(failures: int, allowed: int) -> timedelta:
    """No wait after the first few mistakes, then 30 s, 1, 2, 4 ... minutes, at most 15 minutes."""
    over = failures - allowed
    if over < 0:
        return timedelta(0)
    return timedelta(seconds=min(30 * 2 ** min(over, 10), MAX_WAIT))


def keys(email: str, client: str) -> dict[str, str]:
    found = {"pair": f"pair:{email}|{client}", "account": f"email:{email}"}
    if client:
        found["address"] = f"client:{client}"
    return found


def check(db: Session, names: dict[str, str], now: datetime) -> None:
    waits = [
        row.blocked_until
        for row in db.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(names.values())))
        if row.blocked_until and row.blocked_until > now
    ]
    if waits:
        wait = int((max(waits) - now).total_seconds()) + 1
        raise RateLimited(f"too many failed logins; try again in {wait} seconds", retry_after=wait)


def failed(db: Session, names: dict[str, str], now: datetime, limits: LoginLimits) -> None:
    for kind, key in names.items():
        row = db.get(LoginThrottle, key) or LoginThrottle(key=key, failures=0)
        if kind == "pair":
            if row.last_failure_at and now - row.last_failure_at > THROTTLE_WINDOW:
                row.failures = 0  # a typo today does not count against last month's
            row.last_failure_at = now
        else:
            _forgive(row, now)
        row.failures += 1
        delay = backoff(row.failures, getattr(limits, kind))
        row.blocked_until = now + delay if delay else None
        db.add(row)


def _forgive(row: LoginThrottle, now: datetime) -> None:
    """Leak one failure per FORGIVE_EVERY since the row's clock (its `last_failure_at`), keeping the remainder
    so that failures spaced a little under the interval still leak."""
    if row.last_failure_at is None or row.failures == 0:
        row.last_failure_at = now
        return
    leaked = int((now - row.last_failure_at) / FORGIVE_EVERY)
    if leaked >= row.failures:
        row.failures, row.last_failure_at = 0, now
    elif leaked:
        row.failures -= leaked
        row.last_failure_at += leaked * FORGIVE_EVERY


def succeeded(db: Session, names: dict[str, str]) -> None:
    """The right password clears the account's counters; the address's stays (it may be guessing others)."""
    db.execute(delete(LoginThrottle).where(LoginThrottle.key.in_([names["pair"], names["account"]])))

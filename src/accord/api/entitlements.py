"""/api/v1 access grants: a licensee's own, a dataset's (curators), and revocation with a reason, made permanent
or lifted afterwards."""

from __future__ import annotations

from fastapi import APIRouter

from accord.catalog import service as catalog
from accord.entitlements import service as entitlements
from accord.entitlements.schemas import EntitlementOut, ReacceptIn, RevokeIn, StandingIn
from accord.http.deps import CurrentUser, Db
from accord.http.params import Id

router = APIRouter(tags=["entitlements"])


@router.get("/entitlements", response_model=list[EntitlementOut], summary="My access grants")
def mine(db: Db, user: CurrentUser) -> list[EntitlementOut]:
    return [EntitlementOut.model_validate(e) for e in entitlements.held_by(db, user)]


@router.get(
    "/datasets/{slug}/entitlement",
    response_model=EntitlementOut,
    summary="My newest grant of a dataset (the one whose terms I re-accept or renew)",
)
def my_newest(slug: str, db: Db, user: CurrentUser) -> EntitlementOut:
    dataset = catalog.visible_dataset(db, slug, user)
    return EntitlementOut.model_validate(entitlements.newest(db, user, dataset.id))


@router.get(
    "/datasets/{slug}/entitlements",
    response_model=list[EntitlementOut],
    summary="Everyone who holds access to a dataset (its curators)",
)
def of_dataset(slug: str, db: Db, user: CurrentUser) -> list[EntitlementOut]:
    dataset = catalog.dataset_by_slug(db, slug)
    return [EntitlementOut.model_validate(e) for e in entitlements.for_dataset(db, dataset.id, actor=user)]


@router.post(
    "/entitlements/{entitlement_id}/revoke",
    response_model=EntitlementOut,
    summary="End a grant now, with a reason the licensee is told (curators)",
)
def revoke(entitlement_id: Id, body: RevokeIn, db: Db, user: CurrentUser) -> EntitlementOut:
    return EntitlementOut.model_validate(entitlements.revoke(db, entitlement_id, actor=user, reason=body.reason))


@router.post(
    "/entitlements/{entitlement_id}/permanent",
    response_model=EntitlementOut,
    summary="Make a revocation permanent: its holder may not apply for the dataset again, nor renew (curators)",
)
def make_permanent(entitlement_id: Id, body: StandingIn, db: Db, user: CurrentUser) -> EntitlementOut:
    return EntitlementOut.model_validate(
        entitlements.make_permanent(db, entitlement_id, actor=user, reason=body.reason)
    )


@router.post(
    "/entitlements/{entitlement_id}/lift",
    response_model=EntitlementOut,
    summary="Lift a revocation: its holder may apply again, reviewed as anyone (curators)",
)
def lift(entitlement_id: Id, body: StandingIn, db: Db, user: CurrentUser) -> EntitlementOut:
    return EntitlementOut.model_validate(entitlements.lift(db, entitlement_id, actor=user, reason=body.reason))


@router.post(
    "/entitlements/{entitlement_id}/reaccept",
    response_model=EntitlementOut,
    summary="Accept the dataset's current terms so a paused grant resumes (the licensee)",
)
def reaccept(entitlement_id: Id, body: ReacceptIn, db: Db, user: CurrentUser) -> EntitlementOut:
    return EntitlementOut.model_validate(
        entitlements.reaccept(db, entitlement_id, actor=user, version=body.version, signed_as=body.signed_as)
    )

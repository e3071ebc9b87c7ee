"""/api/v1 obligations: a licensee's derivatives, requests for approval and papers; the reviewers' answers;
what the public sees of a dataset's listed derivatives and papers."""

from __future__ import annotations

from fastapi import APIRouter

from accord.catalog import service as catalog
from accord.http.deps import CurrentUser, Db, OptionalUser, Rt
from accord.http.params import Id
from accord.obligations import service as obligations
from accord.obligations.schemas import (
    ApprovalDecisionIn,
    ApprovalIn,
    ApprovalOut,
    AskedOut,
    DerivativeDecisionIn,
    DerivativeIn,
    DerivativeOut,
    ListedDerivativeOut,
    ListingIn,
    ObligationsOut,
    PublicationIn,
    PublicationOut,
    QueueOut,
)

router = APIRouter(tags=["obligations"])


@router.get("/datasets/{slug}/obligations", response_model=ObligationsOut, summary="My obligations for a dataset")
def mine(slug: str, db: Db, user: CurrentUser) -> ObligationsOut:
    s = obligations.standing(db, slug, user=user)
    return ObligationsOut(
        dataset=s.dataset.slug,
        grant_in_force=s.grant is not None,
        may_ask=s.askable,
        derivatives=[DerivativeOut.model_validate(d) for d in s.derivatives],
        requests=[ApprovalOut.model_validate(r) for r in s.requests],
        publications=[PublicationOut.model_validate(p) for p in s.publications],
    )


@router.post(
    "/datasets/{slug}/derivatives",
    response_model=DerivativeOut,
    status_code=201,
    summary="Declare a derivative under my grant in force (pending when the terms want it approved)",
)
def declare(slug: str, body: DerivativeIn, db: Db, rt: Rt, user: CurrentUser) -> DerivativeOut:
    row = obligations.declare_derivative(db, slug, actor=user, base_url=rt.settings.base_url, **body.model_dump())
    return DerivativeOut.model_validate(row)


@router.get(
    "/datasets/{slug}/derivatives",
    response_model=list[ListedDerivativeOut],
    summary="The derivatives listed on the dataset's page (public)",
)
def listed(slug: str, db: Db, user: OptionalUser) -> list[ListedDerivativeOut]:
    ds = catalog.visible_dataset(db, slug, user)
    return [ListedDerivativeOut.model_validate(d) for d in obligations.listed_derivatives(db, ds.id)]


@router.get("/derivatives/{derivative_id}", response_model=DerivativeOut, summary="One derivative")
def show_derivative(derivative_id: Id, db: Db, user: CurrentUser) -> DerivativeOut:
    return DerivativeOut.model_validate(obligations.derivative(db, derivative_id, user=user))


@router.post(
    "/derivatives/{derivative_id}/decision", response_model=DerivativeOut, summary="Approve or refuse (reviewers)"
)
def decide_derivative(
    derivative_id: Id, body: DerivativeDecisionIn, db: Db, rt: Rt, user: CurrentUser
) -> DerivativeOut:
    row = obligations.decide_derivative(
        db, derivative_id, actor=user, base_url=rt.settings.base_url, **body.model_dump()
    )
    return DerivativeOut.model_validate(row)


@router.put(
    "/derivatives/{derivative_id}/listing",
    response_model=DerivativeOut,
    summary="List it on the dataset's page, or stop (reviewers)",
)
def set_listing(derivative_id: Id, body: ListingIn, db: Db, user: CurrentUser) -> DerivativeOut:
    return DerivativeOut.model_validate(obligations.list_derivative(db, derivative_id, listed=body.listed, actor=user))


@router.post("/derivatives/{derivative_id}/withdraw", response_model=DerivativeOut, summary="Withdraw a pending one")
def withdraw_derivative(derivative_id: Id, db: Db, user: CurrentUser) -> DerivativeOut:
    return DerivativeOut.model_validate(obligations.withdraw_derivative(db, derivative_id, actor=user))


@router.post(
    "/datasets/{slug}/approval-requests",
    response_model=ApprovalOut,
    status_code=201,
    summary="Ask for what the terms allow only with the custodian's approval",
)
def ask(slug: str, body: ApprovalIn, db: Db, rt: Rt, user: CurrentUser) -> ApprovalOut:
    row = obligations.ask_approval(db, slug, actor=user, base_url=rt.settings.base_url, **body.model_dump())
    return ApprovalOut.model_validate(row)


@router.get("/approval-requests/{approval_id}", response_model=ApprovalOut, summary="One request")
def show_request(approval_id: Id, db: Db, user: CurrentUser) -> ApprovalOut:
    return ApprovalOut.model_validate(obligations.approval_request(db, approval_id, user=user))


@router.post(
    "/approval-requests/{approval_id}/decision",
    response_model=ApprovalOut,
    summary="Approve (with conditions; for a unit, all or some of its networks) or refuse (reviewers)",
)
def decide_request(approval_id: Id, body: ApprovalDecisionIn, db: Db, rt: Rt, user: CurrentUser) -> ApprovalOut:
    row = obligations.decide_approval(db, approval_id, actor=user, base_url=rt.settings.base_url, **body.model_dump())
    return ApprovalOut.model_validate(row)


@router.post("/approval-requests/{approval_id}/withdraw", response_model=ApprovalOut, summary="Withdraw a pending one")
def withdraw_request(approval_id: Id, db: Db, user: CurrentUser) -> ApprovalOut:
    return ApprovalOut.model_validate(obligations.withdraw_approval(db, approval_id, actor=user))


@router.get(
    "/review-queue/obligations",
    response_model=QueueOut,
    summary="Derivatives and requests waiting in the datasets I review",
)
def queue(db: Db, user: CurrentUser) -> QueueOut:
    obligations.require_reviews_any(user)
    q = obligations.queue(db, user=user)
    return QueueOut(
        derivatives=[DerivativeOut.model_validate(d) for d in q.derivatives],
        requests=[ApprovalOut.model_validate(r) for r in q.requests],
    )


@router.post(
    "/datasets/{slug}/publications",
    response_model=PublicationOut,
    status_code=201,
    summary="Register a paper that used the dataset (DOI, arXiv id or title; checked for form only)",
)
def register(slug: str, body: PublicationIn, db: Db, user: CurrentUser) -> PublicationOut:
    row = obligations.register_publication(
        db, slug, actor=user, title=body.title, doi_=body.doi, arxiv_=body.arxiv, year=body.year,
        venue=body.venue, version=body.version,
    )  # fmt: skip
    return PublicationOut.model_validate(row)


@router.get(
    "/datasets/{slug}/publications", response_model=list[PublicationOut], summary="Papers that used it (public)"
)
def papers(slug: str, db: Db, user: OptionalUser) -> list[PublicationOut]:
    ds = catalog.visible_dataset(db, slug, user)
    return [PublicationOut.model_validate(p) for p in obligations.publications_of_dataset(db, ds.id)]


@router.delete("/publications/{publication_id}", status_code=204, summary="Remove a paper (its author or reviewers)")
def remove(publication_id: Id, db: Db, user: CurrentUser) -> None:
    obligations.remove_publication(db, publication_id, actor=user)


@router.post(
    "/datasets/{slug}/publications/ask",
    response_model=AskedOut,
    summary="Ask every licensee in force to register their papers (reviewers)",
)
def ask_papers(slug: str, db: Db, rt: Rt, user: CurrentUser) -> AskedOut:
    ds = catalog.visible_dataset(db, slug, user)
    return AskedOut(asked=obligations.ask_for_publications(db, ds.id, actor=user, base_url=rt.settings.base_url))

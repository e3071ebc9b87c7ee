"""/api/v1/datasets/{slug}/policy: a dataset's licence terms as data, their history, diffs and exports."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from accord.catalog import service as catalog
from accord.errors import TooLarge
from accord.http.deps import CurrentUser, Db, OptionalUser, Rt
from accord.http.params import MAX_INT
from accord.policy import service as policies
from accord.policy.schemas import ClauseChangeOut, ClauseOut, TermsOut
from accord.policy.service import parse

router = APIRouter(tags=["policy"])
MAX_POLICY_BYTES = 256 * 1024


def _out(slug: str, terms: policies.Terms) -> TermsOut:
    return TermsOut(
        dataset=slug,
        version=terms.version,
        created_at=terms.row.created_at,
        note=terms.row.note,
        policy=terms.policy,
        clauses=[ClauseOut(**asdict(c)) for c in terms.clauses()],
    )


@router.get("/datasets/{slug}/policy", response_model=TermsOut, summary="The licence terms (current or a version)")
def show(slug: str, db: Db, user: OptionalUser, version: int | None = Query(None, ge=1, le=MAX_INT)) -> TermsOut:
    dataset = catalog.visible_dataset(db, slug, user)
    return _out(slug, policies.get(db, dataset.id, version))


@router.put(
    "/datasets/{slug}/policy",
    response_model=TermsOut,
    summary="Set the terms (curators)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/yaml": {"schema": {"type": "string"}},
                "application/json": {"schema": {"type": "object"}},
            }
        }
    },
)
async def put(
    slug: str, request: Request, db: Db, rt: Rt, user: CurrentUser, note: str = Query("", max_length=500)
) -> TermsOut:
    body = await request.body()
    if len(body) > MAX_POLICY_BYTES:
        raise TooLarge("a policy document is at most 256 KB")
    dataset = catalog.dataset_by_slug(db, slug)
    terms = policies.set_policy(
        db,
        dataset.id,
        parse(body.decode("utf-8", errors="replace")),
        actor=user,
        note=note,
        base_url=rt.settings.base_url,
    )
    return _out(slug, terms)


@router.get(
    "/datasets/{slug}/policy/diff",
    response_model=list[ClauseChangeOut],
    summary="What changed between two versions, clause by clause",
)
def diff(
    slug: str,
    db: Db,
    user: OptionalUser,
    old: int = Query(..., alias="from", ge=1, le=MAX_INT),
    new: int = Query(..., alias="to", ge=1, le=MAX_INT),
) -> list[ClauseChangeOut]:
    dataset = catalog.visible_dataset(db, slug, user)
    return [ClauseChangeOut(**asdict(c)) for c in policies.compare(db, dataset.id, old, new)]


@router.get("/datasets/{slug}/policy/duo", summary="GA4GH Data Use Ontology codes")
def duo(slug: str, db: Db, user: OptionalUser, version: int | None = Query(None, ge=1, le=MAX_INT)) -> dict:
    dataset = catalog.visible_dataset(db, slug, user)
    return policies.duo(policies.get(db, dataset.id, version))


@router.get(
    "/datasets/{slug}/policy/odrl",
    summary="W3C ODRL policy (JSON-LD)",
    response_class=Response,
    responses={
        200: {"description": "The policy as ODRL", "content": {"application/ld+json": {"schema": {"type": "object"}}}}
    },
)
def odrl(slug: str, db: Db, rt: Rt, user: OptionalUser, version: int | None = Query(None, ge=1, le=MAX_INT)):
    dataset = catalog.visible_dataset(db, slug, user)
    body = policies.odrl(policies.get(db, dataset.id, version), base_url=rt.settings.base_url, slug=slug)
    return JSONResponse(body, media_type="application/ld+json")

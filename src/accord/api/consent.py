"""/api/v1 consent registry: a dataset's records (curators list them and import a CSV), which labels lack
consent, and a subject's withdrawal by the token of their private link (no account)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from accord.catalog import service as catalog
from accord.errors import InvalidInput
from accord.http import upload
from accord.http.deps import CurrentUser, Db, Rt, client_address
from accord.privacy import service as privacy
from accord.privacy.schemas import (
    ConsentRecordOut,
    ConsentWithdrawIn,
    CoverageOut,
    ImportReportOut,
    WithdrawForIn,
    WithdrawnOut,
)

router = APIRouter(tags=["consent"])


@router.get(
    "/datasets/{slug}/consent",
    response_model=list[ConsentRecordOut],
    summary="The dataset's consent records, by subject label (its curators)",
)
def list_records(slug: str, db: Db, user: CurrentUser) -> list[ConsentRecordOut]:
    ds = catalog.visible_dataset(db, slug, user)
    return [ConsentRecordOut.model_validate(r) for r in privacy.records(db, ds.id, actor=user)]


@router.post(
    "/datasets/{slug}/consent",
    response_model=ImportReportOut,
    summary="Import consent records from a CSV file (subject, consented_at, scope, optional email), all or nothing; "
    "each new record's withdrawal link is in the answer this once (its curators)",
    openapi_extra=upload.openapi_body("file"),
)
async def import_records(request: Request, slug: str, db: Db, rt: Rt, user: CurrentUser) -> ImportReportOut:
    ds = await run_in_threadpool(catalog.visible_dataset, db, slug, user)
    await run_in_threadpool(catalog.require_curator, user, ds.id)  # before the body is read
    received = await upload.receive(
        request, directory=rt.settings.data_dir / "uploads", limit=privacy.MAX_CSV_BYTES, file_field="file"
    )
    try:
        if received.path is None:
            raise InvalidInput("send the CSV file as the file field", field="file")
        report = await run_in_threadpool(privacy.import_csv, rt, db, ds.id, received.data(), actor=user)
    finally:
        received.discard()
    return ImportReportOut.of(report)


@router.get(
    "/datasets/{slug}/consent/coverage",
    response_model=CoverageOut,
    summary="Labels of the latest published version with no consent record, and items with no label (its curators)",
)
def coverage(slug: str, db: Db, user: CurrentUser) -> CoverageOut:
    ds = catalog.visible_dataset(db, slug, user)
    return CoverageOut.of(privacy.coverage(db, ds.id, actor=user))


@router.post(
    "/datasets/{slug}/consent/withdrawals",
    response_model=WithdrawnOut,
    status_code=201,
    summary="Record a withdrawal the subject sent on paper: opens a removal request for the label and e-mails "
    "the subject a follow link (its curators)",
)
def withdraw_for(slug: str, body: WithdrawForIn, db: Db, rt: Rt, user: CurrentUser) -> WithdrawnOut:
    ds = catalog.visible_dataset(db, slug, user)
    return WithdrawnOut.of(
        privacy.withdraw_for(rt, db, ds.id, body.subject, actor=user, email=body.email, why=body.why)
    )


@router.post(
    "/consent/withdraw",
    response_model=WithdrawnOut,
    status_code=201,
    summary="Withdraw consent by the token of the subject's private link (no account): opens a removal request "
    "for their label; the link works once",
)
def withdraw(body: ConsentWithdrawIn, request: Request, db: Db, rt: Rt) -> WithdrawnOut:
    return WithdrawnOut.of(
        privacy.withdraw(rt, db, body.token, email=body.email, why=body.why, address=client_address(request))
    )

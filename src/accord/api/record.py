"""/api/v1/me/record: everything Accord holds about the caller, as JSON (GDPR Art. 15)."""

from __future__ import annotations

from fastapi import APIRouter

from accord.http.deps import CurrentUser, Db
from accord.record import service as record
from accord.record.schemas import Record

router = APIRouter(tags=["record"])


@router.get("/me/record", response_model=Record, summary="My own record: everything held about me")
def my_record(db: Db, user: CurrentUser) -> Record:
    """Applications, grants, downloads, deletion notices, removal requests, mail, training certificates,
    requests for approval, derivatives, publications and the account's history, of the caller only."""
    return record.of(db, user)

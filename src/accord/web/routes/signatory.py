"""The signatory's page: no account needed, the e-mailed link is the credential."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from accord.access import service as access
from accord.errors import HTTP_STATUS, AccordError, lookup
from accord.http.deps import Db, Rt
from accord.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/signatory/{token}")
def page(request: Request, token: str, db: Db):
    try:
        invitation = access.signatory_invitation(db, token)
    except AccordError as exc:
        return render(request, "access/signatory.html", status_code=lookup(HTTP_STATUS, exc), error=exc.message)
    return render(request, "access/signatory.html", invitation=invitation, token=token, errors={})


@router.post("/signatory/{token}")
def decide(
    request: Request,
    token: str,
    db: Db,
    rt: Rt,
    decision: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    consent: Annotated[bool, Form()] = False,
    reason: Annotated[str, Form()] = "",
):
    try:
        state = access.signatory_decide(
            rt, db, token, sign=decision == "sign", full_name=full_name, consent=consent, reason=reason
        )
    except AccordError as exc:
        try:
            invitation = access.signatory_invitation(db, token)
        except AccordError:
            return render(request, "access/signatory.html", status_code=lookup(HTTP_STATUS, exc), error=exc.message)
        return render(
            request,
            "access/signatory.html",
            status_code=lookup(HTTP_STATUS, exc),
            invitation=invitation,
            token=token,
            errors={exc.field or "form": exc.message},
            values={"full_name": full_name},
        )
    return render(request, "access/signatory.html", done=state.status_value)

"""/api/v1: who am I, personal API tokens, and e-mail + password → token for the CLI."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, BeforeValidator, Field

from accord.access import service as access
from accord.db import utcnow
from accord.http.deps import CurrentUser, Db, Rt, client_address
from accord.http.params import Id
from accord.identity import service as identity
from accord.identity.models import ApiToken, User

router = APIRouter(tags=["identity"])


class RoleOut(BaseModel):
    role: str
    dataset_id: int | None


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    email_verified: bool
    roles: list[RoleOut]
    review_mail: str = Field(description='"each": a mail per application to review; "digest": one a day')

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            email_verified=user.email_verified_at is not None,
            review_mail=user.review_mail,
            roles=[RoleOut(role=g.role, dataset_id=g.dataset_id) for g in user.roles],
        )


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, t: ApiToken) -> TokenOut:
        return cls(
            id=t.id,
            name=t.name,
            prefix=t.prefix,
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
        )


class NewTokenOut(TokenOut):
    token: str = Field(description="the secret; shown in this response only")


def _whole(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# An integer as JSON Schema has it: 30 or 30.0, but not `true`, "30" or 1.5 (a strict int alone refuses 30.0,
# which the document allows; a lax one reads `true` as 1 day and "30" as 30, which it does not)
Days = Annotated[int, Field(strict=True, ge=1, le=3650), BeforeValidator(_whole)]


class TokenIn(BaseModel):
    name: str = Field(max_length=100, pattern=r"\S", description="not blank")
    expires_in_days: Days | None = None


class LoginIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=2048)
    token_name: str = Field(default="cli", max_length=100)


class ReviewMailIn(BaseModel):
    review_mail: Literal["each", "digest"] = Field(description='"each" or "digest"')


def _new_token_out(new: identity.NewToken) -> NewTokenOut:
    return NewTokenOut(**TokenOut.of(new.token).model_dump(), token=new.secret)


@router.get("/users/me", response_model=UserOut)
def me(user: CurrentUser):
    return UserOut.of(user)


@router.put(
    "/users/me/review-mail",
    response_model=UserOut,
    summary="How I hear of applications to review: each one, or a daily digest",
)
def set_review_mail(body: ReviewMailIn, db: Db, user: CurrentUser):
    return UserOut.of(access.set_review_mail(db, user, body.review_mail))


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(db: Db, user: CurrentUser):
    return [TokenOut.of(t) for t in identity.list_api_tokens(db, user)]


@router.post("/tokens", response_model=NewTokenOut, status_code=201)
def create_token(body: TokenIn, db: Db, user: CurrentUser):
    expires = utcnow() + timedelta(days=body.expires_in_days) if body.expires_in_days else None
    return _new_token_out(identity.create_api_token(db, user, name=body.name, expires_at=expires))


@router.get("/tokens/{token_id}", response_model=TokenOut)
def get_token(token_id: Id, db: Db, user: CurrentUser):
    return TokenOut.of(identity.get_api_token(db, user, token_id))


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: Id, db: Db, user: CurrentUser):
    identity.revoke_api_token(db, user, token_id)
    return Response(status_code=204)


@router.post("/auth/token", response_model=NewTokenOut, status_code=201)
def login_for_token(body: LoginIn, request: Request, db: Db, rt: Rt):
    """Trade an e-mail address and password for a new API token (throttled like the login page)."""
    user = identity.authenticate(
        db,
        email=body.email,
        password=body.password,
        client=client_address(request),
        limits=identity.LoginLimits.of(rt.settings),
    )
    return _new_token_out(identity.create_api_token(db, user, name=body.token_name))

"""What the OpenAPI document says about answers other than a route's own JSON: the problem+json errors every API
route can give (declared once, on the /api/v1 router, so a new route has them too) and file answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

PROBLEM_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, as `accord.web.app.problem` writes them."""

    model_config = ConfigDict(extra="allow")  # and what the error carries: code, terms_url, request_id, ...

    type: str = Field(description='always "about:blank": the title names the error')
    title: str = Field(description="the error's name, e.g. NotFound, PermissionDenied, Invalid input")
    status: int
    detail: str = Field(description="what went wrong, in words to show a user")
    field: str | None = Field(None, description="the input at fault, when one is")
    errors: list[FieldProblem] | None = Field(None, description="each invalid input (422 from validation)")


def _problem(description: str, headers: dict | None = None) -> dict:
    answer = {
        "description": description,
        "content": {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        answer["headers"] = headers
    return answer


# The map of errors.HTTP_STATUS, plus 422 for input the route's parameters refuse.
PROBLEM_RESPONSES: dict[int | str, dict] = {
    400: _problem("The request cannot be carried out as asked"),
    401: _problem("Not signed in: send `Authorization: Bearer <token>`"),
    403: _problem("Signed in, but not allowed to do this"),
    404: _problem("No such thing, or not one this caller may see"),
    409: _problem("In conflict with the current state (e.g. a transition the workflow does not allow)"),
    413: _problem("The request body is too large"),
    422: _problem("Invalid input; `errors` lists each field"),
    429: _problem(
        "Too many attempts; wait as Retry-After says",
        headers={"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
    ),
}

BINARY = {"schema": {"type": "string", "format": "binary"}}


def file_answer(description: str, *media_types: str) -> dict:
    """`responses=` for a route whose 200 is a file of one of `media_types`."""
    return {200: {"description": description, "content": dict.fromkeys(media_types, BINARY)}}


def add_schemas(document: dict) -> dict:
    """Put Problem (which PROBLEM_RESPONSES refer to) in the document's components."""
    _, found = models_json_schema([(Problem, "serialization")], ref_template="#/components/schemas/{model}")
    document.setdefault("components", {}).setdefault("schemas", {}).update(found.get("$defs", {}))
    return document

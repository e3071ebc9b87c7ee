"""Every integer a route takes is bounded (to 2^53-1, inside what the databases hold): past it a path id answers
404 and a query number 422, on SQLite (whose driver raises OverflowError for such a number) and on PostgreSQL,
signed in or not.

The routes are read from the app, so a new route with an integer parameter is tried here without being listed.
"""

from __future__ import annotations

import inspect
import re
import types
import typing

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from accord.db import MAX_INT
from accord.web.app import create_app
from tests.identity.helpers import api_token, make_user

HUGE = "102814048768930119680"  # the number the attacker sent; > 2^64
JUST_PAST = str(MAX_INT + 1)  # 2^53: past what the API takes
PAST_THE_DATABASE = str(2**63)  # the first that SQLite cannot bind


def _base(annotation):
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else annotation
    return annotation


def _is_form(annotation) -> bool:
    extras = typing.get_args(annotation)[1:] if typing.get_origin(annotation) is typing.Annotated else ()
    return any(type(e).__name__ in ("Form", "File") for e in extras)


def integer_parameters(app) -> list[tuple[str, str, str, str]]:
    """(method, path, "path" or "query", name) for each integer parameter of each route."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI ≥ 0.16x includes routers lazily

        routes = list(iter_route_contexts(app.routes))
    except ImportError:
        routes = app.routes
    found = []
    for route in routes:
        if not isinstance(getattr(route, "original_route", route), APIRoute):
            continue
        hints = typing.get_type_hints(route.endpoint, include_extras=True)
        placeholders = set(re.findall(r"{(\w+)", route.path))
        for name, param in inspect.signature(route.endpoint).parameters.items():
            hint = hints.get(name)
            if _base(hint) is not int or _is_form(hint):
                continue
            where = "path" if name in placeholders else "query"
            alias = getattr(param.default, "alias", None) or name
            found.extend((method, route.path, where, alias) for method in sorted(route.methods))
    return found


def _url(path: str, where: str, name: str, number: str) -> str:
    others = {"slug": "demo", "label": "1.0"}
    filled = re.sub(r"{(\w+)[^}]*}", lambda m: number if m.group(1) == name else others.get(m.group(1), "1"), path)
    return f"{filled}?{name}={number}" if where == "query" else filled


def test_the_routes_with_integers_are_found(app):
    found = {(m, p, w) for m, p, w, _ in integer_parameters(app)}
    # a sample of the routes the attacker named, so the enumeration cannot quietly find nothing
    assert ("GET", "/api/v1/datasets/{slug}/policy", "query") in found
    assert ("GET", "/datasets/{slug}/preview/{item_id}", "path") in found
    assert ("POST", "/api/v1/applications/{app_id}/approve", "path") in found
    assert ("GET", "/api/v1/datasets/{slug}/versions/{label}/files", "query") in found
    assert ("GET", "/api/v1/datasets/{slug}/versions/{label}/items", "query") in found
    assert ("POST", "/review/{app_id}/return", "path") in found
    assert len(found) > 40


@pytest.fixture
def bound_app(db_rt, tmp_path):
    from tests.jobs.catalogue import published_dataset

    published_dataset(db_rt, tmp_path, "demo", title="Demo", count=2, previews=1)
    make_user(db_rt, "root@example.org", "admin")
    return db_rt, create_app(db_rt)


@pytest.mark.parametrize("number", [HUGE, PAST_THE_DATABASE, JUST_PAST])
def test_no_integer_past_the_database_bound_is_a_crash(bound_app, number):
    rt, app = bound_app
    token = api_token(rt, "root@example.org")
    cases = integer_parameters(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, where, name in cases:
            url = _url(path, where, name, number)
            anonymous = client.request(method, url, follow_redirects=False)
            assert anonymous.status_code < 500, (method, url, anonymous.text)
            signed_in = client.request(
                method, url, headers={"Authorization": f"Bearer {token}"}, follow_redirects=False
            )
            expected = 404 if where == "path" else 422
            assert signed_in.status_code == expected, (method, url, signed_in.status_code, signed_in.text[:300])


def test_the_bound_is_declared_for_every_integer_parameter_of_the_api(client):
    spec = client.get("/api/v1/openapi.json").json()
    unbounded = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            for param in op.get("parameters", []):
                schema = param["schema"]
                options = schema.get("anyOf", [schema])
                for option in options:
                    if option.get("type") == "integer" and option.get("maximum") is None:
                        unbounded.append((method, path, param["name"]))
    assert not unbounded


def test_integers_in_bodies_are_bounded_too(client, rt):
    make_user(rt, "root@example.org", "admin")
    auth = {"Authorization": f"Bearer {api_token(rt, 'root@example.org')}"}
    certificate = client.post(
        "/api/v1/training",
        headers=auth,
        data={"application_id": HUGE},
        files={"file": ("c.pdf", b"%PDF-1.4\n", "application/pdf")},
    )
    assert certificate.status_code == 422, certificate.text
    dataset = client.post(
        "/api/v1/datasets",
        headers=auth,
        json={"slug": "big", "title": "Big", "custodian": "Lab", "subject_count": 2**31},
    )  # PostgreSQL's INTEGER
    assert dataset.status_code == 422, dataset.text
    grant = client.post("/api/v1/entitlements/1/reaccept", headers=auth, json={"version": HUGE})
    assert grant.status_code == 422, grant.text
    queue = client.get(f"/api/v1/review-queue?older_than_days={HUGE}", headers=auth)
    assert queue.status_code == 422, queue.text
    far_page = client.get("/api/v1/review-queue?page=9223372036854775807", headers=auth)
    assert far_page.status_code == 422, far_page.text
    century = client.get("/api/v1/review-queue?older_than_days=36501", headers=auth)
    assert century.status_code == 422, century.text

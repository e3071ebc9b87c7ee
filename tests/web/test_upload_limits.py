"""Scan and training-certificate uploads over their limit, sent to a real server (uvicorn, and granian as
`accord serve` runs it): a declared Content-Length over the limit is refused before the body is read, and a
chunked body is cut off at the limit. What the app took from the server is counted, so "stopped early" is a
number of bytes, not a time."""

from __future__ import annotations

import re

import httpx
import pytest

from accord.access import scan
from accord.access import service as access
from accord.http.deps import SESSION_COOKIE
from accord.identity import service as identity
from accord.training import service as training
from accord.web.app import create_app
from tests.live import serving, serving_granian
from tests.training.helpers import answers, dataset_needing_training, days, person

LIMIT = scan.MAX_SCAN_BYTES
assert training.MAX_BYTES == LIMIT
OVER = LIMIT + 16 * 1024 * 1024  # the file part sent: 16 MB past the limit
CHUNK = 256 * 1024
BOUNDARY = "accord-limit-test"
SERVERS = {"uvicorn": serving, "granian": serving_granian}


class Counted:
    """The app behind a tally of the request-body bytes it took from the server."""

    def __init__(self, app):
        self.app, self.read = app, 0

    async def __call__(self, scope, receive, send):
        async def counted():
            message = await receive()
            self.read += len(message.get("body", b""))
            return message

        await self.app(scope, counted, send)


def _body(fields: dict[str, str], file_field: str, size: int) -> tuple[bytes, bytes, int]:
    """(head, tail, total length) of a multipart body whose file part is `size` zero bytes after a PNG header."""
    head = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    )
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; filename="big.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode() + b"\x89PNG\r\n\x1a\n"
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head, tail, len(head) + size + len(tail)


def _stream(head: bytes, tail: bytes, size: int):
    yield head
    zeros = b"\0" * CHUNK
    for _ in range(size // CHUNK):
        yield zeros
    yield tail


@pytest.fixture
def world(rt, tmp_path):
    dataset_needing_training(rt, tmp_path)
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        app_id = access.start(db, "at-ustc", actor=ana, answers=answers("at-ustc", ana.email)).id
        return {
            "app_id": app_id,
            "token": identity.create_api_token(db, ana, name="t").secret,
            "session": identity.start_session(db, ana, ttl=rt.settings.session_ttl),
        }


ROUTES = {  # name: (path, file field, other fields, web page)
    "api-scan": ("/api/v1/applications/{app_id}/scan", "file", {"full_name": "Ana Lima", "consent": "true"}, False),
    "api-training": (
        "/api/v1/training",
        "file",
        {"application_id": "{app_id}", "course": "CITI", "completed_on": str(days(-3)), "expires_on": str(days(300))},
        False,
    ),
    "web-scan": ("/applications/{app_id}/scan", "scan", {"full_name": "Ana Lima", "consent": "yes"}, True),
    "web-training": (
        "/applications/{app_id}/training",
        "certificate",
        {"course": "CITI", "completed_on": str(days(-3)), "expires_on": str(days(300))},
        True,
    ),
}


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize("route", ROUTES)
def test_an_upload_over_the_limit_is_refused_without_reading_it_all(rt, world, route, declared, server):
    path, file_field, fields, web = ROUTES[route]
    path = path.format(**world)
    fields = {k: v.format(**world) for k, v in fields.items()}
    app = Counted(create_app(rt))
    with SERVERS[server](app) as base, httpx.Client(base_url=base, timeout=60) as client:
        if web:
            client.cookies.set(SESSION_COOKIE, world["session"])
            page = client.get(f"/applications/{world['app_id']}")
            fields = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1), **fields}
            headers = {}
        else:
            headers = {"Authorization": f"Bearer {world['token']}"}
        head, tail, total = _body(fields, file_field, OVER)
        headers["Content-Type"] = f"multipart/form-data; boundary={BOUNDARY}"
        if declared:
            headers["Content-Length"] = str(total)
        response = client.post(path, content=_stream(head, tail, OVER), headers=headers)
    assert response.status_code == 413, response.text[:300]
    if web:
        assert "text/html" in response.headers["content-type"] and "larger than the limit" in response.text
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert "larger than" in response.json()["detail"]
    if declared:
        assert app.read <= 256 * 1024  # at most the head the CSRF check looks into (64 KB and a message)
    else:
        assert app.read <= LIMIT + 2 * CHUNK + len(head)  # stopped at the limit, not at the 36 MB sent
    assert not list((rt.settings.data_dir / "uploads").glob("*"))
    with rt.session() as db:
        assert access.get(db, world["app_id"], viewer=identity.user_by_email(db, "ana@mit.edu")).state.signature is None
        assert training.mine(db, identity.user_by_email(db, "ana@mit.edu")) == []

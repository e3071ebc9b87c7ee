"""Login throttling keys on the real client, also behind a trusted reverse proxy, and cannot be dodged by
sending a forged X-Forwarded-For to a server that does not trust the sender."""

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from accord.http.deps import client_address
from tests.conftest import make_settings


def probe(tmp_path, trusted, peer="10.0.0.5"):
    from accord.runtime import build

    app = FastAPI()
    app.state.rt = build(make_settings(tmp_path, trusted_proxies=trusted))

    @app.get("/ip")
    def ip(request: Request) -> str:
        return client_address(request)

    return TestClient(app, client=(peer, 1234))


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        ([], "1.2.3.4", "10.0.0.5"),  # not trusted: the header is ignored
        (["10.0.0.0/8"], "1.2.3.4", "1.2.3.4"),
        (["10.0.0.0/8"], "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client may forge the left part, not the proxy's
        (["10.0.0.0/8"], "1.2.3.4, 10.0.0.9", "1.2.3.4"),  # a chain of trusted proxies
        (["10.0.0.0/8"], "", "10.0.0.5"),
    ],
)
def test_the_client_address_honours_only_trusted_proxies(tmp_path, trusted, forwarded, expected):
    client = probe(tmp_path, trusted)
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    assert client.get("/ip", headers=headers).json() == expected

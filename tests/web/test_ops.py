"""/healthz, /readyz and /metrics: what an operator's monitoring reads, and what nobody else may."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from accord import dbmigrate
from accord.db import unit_of_work
from accord.notify import service as notify
from accord.runtime import build
from accord.web.app import create_app
from tests.conftest import make_settings
from tests.jobs.catalogue import published_dataset


def test_health_and_readiness(client, rt, monkeypatch):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "storage": "ok", "queue": "ok"}}

    def down(*_args):
        raise OSError("the disk went away")

    monkeypatch.setattr(rt.store, "exists", down)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["checks"] == {"database": "ok", "storage": "unreachable: OSError", "queue": "ok"}


def test_metrics_are_off_unless_turned_on(client):
    assert client.get("/metrics").status_code == 404


@pytest.fixture
def metered(tmp_path):
    def make(**settings):
        rt = build(make_settings(tmp_path / str(len(settings)), metrics=True, **settings))
        dbmigrate.upgrade(rt.engine)
        return rt

    return make


def _value(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus's text format."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}}") or (not labels and line.startswith(f"{name} ")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name}{{{want}}} in:\n{text}")


def test_metrics_count_by_route_template_and_read_the_backlogs(metered, tmp_path):
    rt = metered()
    published_dataset(rt, tmp_path, "llvip", title="LLVIP", count=1, previews=0)
    with rt.session() as db, unit_of_work(db):
        notify.enqueue(db, "consent-link", to="someone@example.org", subject="s01", dataset="LLVIP", link="x")
    with TestClient(create_app(rt), base_url="http://testserver", client=("127.0.0.1", 5000)) as client:
        before = client.get("/metrics").text  # the counters are the process's: earlier tests' requests are in them
        seen = (
            _value(before, "accord_http_requests_total", method="GET", route="/datasets/{slug}", status="200")
            if ('route="/datasets/{slug}",status="200"' in before)
            else 0.0
        )
        for _ in range(3):
            assert client.get("/datasets/llvip").status_code == 200
        assert client.get("/datasets/nope").status_code == 404
        text = client.get("/metrics").text
    assert _value(text, "accord_http_requests_total", method="GET", route="/datasets/{slug}", status="200") == seen + 3
    assert _value(text, "accord_http_requests_total", method="GET", route="/datasets/{slug}", status="404") >= 1
    assert not re.search(r'route="/datasets/llvip"', text)  # templates, never each address
    assert _value(text, "accord_http_request_seconds_count", route="/datasets/{slug}") >= 4
    assert _value(text, "accord_http_response_bytes_total", route="/datasets/{slug}") > 1000
    assert _value(text, "accord_outbox_backlog", state="pending") == 1
    assert _value(text, "accord_job_queue_depth") == 0


def test_metrics_answer_only_the_monitoring_addresses(metered):
    rt = metered(metrics_from=["10.0.0.0/8"])
    with TestClient(create_app(rt), base_url="http://testserver", client=("192.0.2.7", 5000)) as client:
        assert client.get("/metrics").status_code == 404
    with TestClient(create_app(rt), base_url="http://testserver", client=("10.1.2.3", 5000)) as client:
        assert client.get("/metrics").status_code == 200

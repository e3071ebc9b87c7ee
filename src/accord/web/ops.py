"""What operators and their monitoring ask: /healthz (the process answers), /readyz (the database, the blob
store and the job queue answer), and Prometheus metrics at /metrics when the settings turn them on.

Request metrics are counted by route template (/datasets/{slug}, not each slug), so their number stays small.
With several server processes, set PROMETHEUS_MULTIPROC_DIR and each process's counts are added up at scrape."""

from __future__ import annotations

import ipaddress
import logging
import os
import time
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.errors import NotFound
from accord.http.deps import client_address
from accord.notify import service as notify

log = logging.getLogger("accord.web")
router = APIRouter(include_in_schema=False)

REQUESTS = Counter("accord_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "accord_http_request_seconds",
    "Time to answer, by route",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SENT = Counter("accord_http_response_bytes", "Bytes of response bodies sent by the app", ["route"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    rt = request.app.state.rt
    checks: dict[str, str] = {}
    for name, check in (("database", _database), ("storage", _storage), ("queue", _queue)):
        try:
            check(rt)
            checks[name] = "ok"
        except Exception as exc:  # what is down, said plainly; the rest still checked
            log.warning("readiness: %s is not reachable: %s", name, exc)
            checks[name] = f"unreachable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )


def _database(rt: Any) -> None:
    with rt.engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _storage(rt: Any) -> None:
    rt.store.exists("0" * 64)  # a lookup that finds nothing, but reaches the folder or the bucket


def _queue(rt: Any) -> None:
    rt.huey.storage.queue_size()  # Redis or the SQLite queue file


@router.get("/metrics")
def metrics(request: Request) -> Response:
    rt = request.app.state.rt
    if not rt.settings.metrics or not _allowed(client_address(request), rt.settings.metrics_from):
        raise NotFound("there is nothing at this address")
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        for metric in (REQUESTS, LATENCY, SENT):
            registry.register(metric)
    registry.register(_Backlog(rt))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _allowed(address: str, ranges: Iterable[str]) -> bool:
    ranges = list(ranges)
    if not ranges:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(r, strict=False) for r in ranges)


class _Backlog:
    """Read at each scrape: jobs waiting in the queue and mail waiting in the outbox."""

    def __init__(self, rt: Any):
        self.rt = rt

    def collect(self) -> Iterable[GaugeMetricFamily]:
        queued = GaugeMetricFamily("accord_job_queue_depth", "Jobs waiting in the queue")
        queued.add_metric([], float(self.rt.huey.storage.queue_size()))
        yield queued
        with self.rt.session() as db:
            counts = notify.outbox_counts(db)
        backlog = GaugeMetricFamily("accord_outbox_backlog", "E-mails not sent yet", labels=["state"])
        backlog.add_metric(["pending"], float(counts["pending"]))
        backlog.add_metric(["failing"], float(counts["failing"]))
        yield backlog


class Metrics:
    """Counts each answer by method, route template and status, with its time and body bytes."""

    def __init__(self, app: ASGIApp, *, enabled: bool):
        self.app, self.enabled = app, enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status, sent = time.perf_counter(), [500], [0]

        async def counting(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                sent[0] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, counting)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(scope["method"], route, str(status[0])).inc()
            LATENCY.labels(route).observe(time.perf_counter() - started)
            SENT.labels(route).inc(sent[0])

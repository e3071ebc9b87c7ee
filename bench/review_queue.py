"""The review queue at scale: its page and its query against a plain SELECT on the same table, in one run.

    .venv/bin/python bench/review_queue.py               # 100,000 applications
    .venv/bin/python bench/review_queue.py --n 20000     # a quicker run

In a private schema of PostgreSQL (ACCORD_TEST_PG_URL, default the tests' `test` database) it migrates, loads
N applications with their events over four datasets, a few hundred organisations and every status (COPY), then
times, 50 times each: the `/review` page and `GET /api/v1/review-queue` through the real app (TestClient, as a
reviewer of two of the four datasets), `access.queue.review_queue` for the same page and deeper filtered ones, and a
plain `SELECT ... FROM application ... LIMIT 50`. It prints median and p95 and their ratio to the plain SELECT; the
goal is a page under 0.2 s. The schema is dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PG_URL = os.environ.get("ACCORD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SLUGS = ["cion-al", "at-ustc", "shhq", "llvip"]
STATUSES = ["submitted"] * 5 + ["approved"] * 3 + ["rejected", "returned", "withdrawn", "awaiting_signatory"]
CHECKS = ["", "", "", ",institutional_email,", ",email_proven,", ",institutional_email,free_mail,"]
RUNS = 50
GOAL = 0.2


def copy_rows(raw, table: str, columns: list[str], rows) -> None:
    """COPY `rows` (tuples) into `table`: tab-separated text, \\N for NULL."""
    buf = io.StringIO()
    for row in rows:
        buf.write(
            "\t".join("\\N" if v is None else str(v).replace("\\", "\\\\").replace("\t", " ") for v in row) + "\n"
        )
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(buf.getvalue())


def load(rt, n: int) -> tuple[str, list[int]]:
    """Datasets with their seed terms, a reviewer of two, N applicants' applications and events."""
    from accord.catalog.models import Dataset
    from accord.db import unit_of_work
    from accord.identity import service as identity
    from accord.policy import service as policies
    from accord.policy.io import seed

    with rt.session() as db:
        with unit_of_work(db):
            datasets = [Dataset(slug=s, title=s.upper(), custodian="Bench Lab") for s in SLUGS]
            db.add_all(datasets)
        for d in datasets:
            policies.set_policy(db, d.id, seed(d.slug), actor="cli")
        reviewer = identity.create_user(
            db, email="reviewer@lab.example", name="Rita Reviewer", password="a long bench passphrase"
        )
        for d in datasets[:2]:
            identity.grant_role(db, reviewer, "reviewer", dataset_id=d.id)
        token = identity.create_api_token(db, reviewer, name="bench").secret
        ids = [d.id for d in datasets]

    rng = random.Random(5)
    now = datetime.now(UTC)
    applicants = max(1, n // 3)
    orgs = [f"University {i}" for i in range(400)]
    raw = rt.engine.raw_connection()
    try:
        base = 1_000_000
        copy_rows(
            raw.driver_connection,
            "user_account",
            ["id", "email", "name", "created_at", "review_mail"],
            (
                (base + i, f"applicant{i}@uni{i % 400}.example", f"Applicant {i}", now.isoformat(), "each")
                for i in range(applicants)
            ),
        )
        apps, events = [], []
        for i in range(n):
            status = rng.choice(STATUSES)
            created = now - timedelta(days=rng.uniform(0, 400))
            submitted = created + timedelta(hours=rng.uniform(1, 48))
            decided = submitted + timedelta(days=rng.uniform(1, 30)) if status in ("approved", "rejected") else None
            apps.append(
                (
                    i + 1,
                    rng.choice(ids),
                    base + rng.randrange(applicants),
                    1,
                    status,
                    created.isoformat(),
                    (decided or submitted).isoformat(),
                    submitted.isoformat(),
                    decided.isoformat() if decided else None,
                    rng.choice(orgs),
                    rng.choice(CHECKS),
                )
            )
            kinds = ["created", "saved", "signed", "submitted", "checks_run"] + (
                ["approved" if status == "approved" else "rejected"] if decided else []
            )
            for seq, kind in enumerate(kinds, 1):
                events.append(
                    (
                        i + 1,
                        seq,
                        kind,
                        (decided if kind in ("approved", "rejected") else created).isoformat(),
                        json.dumps({}),
                    )
                )
        copy_rows(
            raw.driver_connection,
            "application",
            [
                "id",
                "dataset_id",
                "applicant_id",
                "policy_version",
                "status",
                "created_at",
                "updated_at",
                "submitted_at",
                "decided_at",
                "organisation",
                "failed_checks",
            ],
            apps,
        )
        copy_rows(raw.driver_connection, "application_event", ["application_id", "seq", "kind", "at", "data"], events)
        with raw.driver_connection.cursor() as cur:
            cur.execute("SELECT setval(pg_get_serial_sequence('application', 'id'), %s)", (n,))
            cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    print(f"loaded {n:,} applications, {len(events):,} events, {applicants:,} applicants over {len(SLUGS)} datasets")
    return token, ids


def timed(label: str, fn, baseline: float | None = None) -> float:
    fn()  # warm: the first call pays for imports and plans
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    median, p95 = statistics.median(times), times[int(0.95 * len(times)) - 1]
    ratio = f"  x{median / baseline:6.1f} the plain SELECT" if baseline else ""
    verdict = "" if baseline is None else ("  ok" if p95 < GOAL else f"  OVER the {GOAL} s goal")
    print(f"{label:<70} median {median * 1000:8.2f} ms   p95 {p95 * 1000:8.2f} ms{ratio}{verdict}")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="applications to load")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from accord import dbmigrate
    from accord.access import queue
    from accord.config import Settings
    from accord.db import make_engine
    from accord.identity.models import User
    from accord.runtime import build
    from accord.web.app import create_app

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            dbmigrate.upgrade(engine)
            rt = build(
                Settings(data_dir=Path(tmp), secret_key="bench-" + uuid.uuid4().hex, jobs_immediate=True), engine=engine
            )
            started = time.perf_counter()
            token, ids = load(rt, args.n)
            print(f"load took {time.perf_counter() - started:.1f} s\n")

            with engine.connect() as conn:
                plain_sql = text(
                    "SELECT id, dataset_id, applicant_id, status, submitted_at, organisation, "
                    "failed_checks FROM application ORDER BY id LIMIT 50"
                )
                base = timed("plain SELECT ... FROM application LIMIT 50", lambda: conn.execute(plain_sql).all())
                waiting = conn.execute(
                    text("SELECT count(*) FROM application WHERE status = 'submitted' AND dataset_id = ANY(:ids)"),
                    {"ids": ids[:2]},
                ).scalar()
            print(f"(the reviewer's queue holds {waiting:,} submitted applications)")

            with rt.session() as db:
                reviewer = db.query(User).filter_by(email="reviewer@lab.example").one()

                def service(**kw):
                    db.expire_all()
                    page = queue.review_queue(db, reviewer, **kw)
                    assert len(page.rows) == min(50, max(0, page.total - (page.page - 1) * 50)), page.total
                    db.rollback()

                timed("review_queue(): first page, oldest first", service, base)
                timed(
                    "review_queue(): page 20, newest, organisation 'University 1'",
                    lambda: service(page=20, sort="newest", organisation="University 1"),
                    base,
                )
                timed(
                    "review_queue(): status all, failed checks any, page 100",
                    lambda: service(status="all", failed_checks="any", page=100),
                    base,
                )

            client = TestClient(create_app(rt))
            headers = {"Authorization": f"Bearer {token}"}

            def page(url: str):
                response = client.get(url, headers=headers)
                assert response.status_code == 200 and "Applicant" in response.text, response.status_code

            timed("GET /review (the page, first 50)", lambda: page("/review"), base)
            timed(
                "GET /review?sort=newest&organisation=University+1&page=20",
                lambda: page("/review?sort=newest&organisation=University+1&page=20"),
                base,
            )

            def api(url: str):
                response = client.get(url, headers=headers)
                assert response.status_code == 200 and response.json()["total"] > 0, response.status_code

            timed("GET /api/v1/review-queue (first 50)", lambda: api("/api/v1/review-queue"), base)
            timed(
                "GET /api/v1/review-queue?sort=newest&organisation=University+1&page=20",
                lambda: api("/api/v1/review-queue?sort=newest&organisation=University+1&page=20"),
                base,
            )
            client.close()
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
        print(f"\ndropped schema {schema}")


if __name__ == "__main__":
    main()

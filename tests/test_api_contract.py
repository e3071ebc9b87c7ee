"""The OpenAPI document is the truth: schemathesis, in-process against the ASGI app, with every check, finds no
failure, per operation (examples, coverage and fuzzing phases) and in stateful sequences that follow the links it
infers between operations; once anonymously and once with an applicant's API token.

Small by default (a few examples per operation, well under a minute on two cores). A long run:
    SCHEMATHESIS_EXAMPLES=2000 make test PYTEST_ARGS="tests/test_api_contract.py -q"
(`make bench BENCH_ARGS=api-contract` or `.venv/bin/python bench/api_contract.py 2000` does that and counts them.)
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.config import SchemathesisConfig

from accord.errors import NotFound
from accord.identity import service as identity
from accord.web.app import create_app
from tests.identity.helpers import make_user
from tests.test_authorization import build_world

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
STEPS = int(os.environ.get("SCHEMATHESIS_STEPS", "6"))
CALLERS = os.environ.get("SCHEMATHESIS_CALLERS", "anonymous,applicant").split(",")
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("SCHEMATHESIS_RANDOM"),
    suppress_health_check=list(HealthCheck),
)
SENT: Counter = Counter()  # (caller, "requests" or "5xx") -> how many, for the long run's summary
# The one narrow exception. Answers, signatures, scans and certificates are judged against the dataset's own
# terms (which questions it asks, who signs, whether training is needed) and the application's state (signing
# needs the required answers first): rules that differ per dataset and that no JSON Schema in the document can
# state. For these operations alone a schema-valid request may be refused with 422 (the problem names the field);
# every other check still runs on them, and every check runs in full everywhere else.
TERMS_JUDGED = [
    "PUT /api/v1/applications/{app_id}/answers",
    "POST /api/v1/applications/{app_id}/sign",
    "POST /api/v1/applications/{app_id}/scan",
    "POST /api/v1/applications/{app_id}/submit",
    "POST /api/v1/datasets/{slug}/applications",
    "POST /api/v1/training",
]
CONFIG = "\n".join(
    f"""
[[operations]]
include-name = "{name}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
"""
    for name in TERMS_JUDGED
)


class Snapshot:
    """A SQLite database as it was when taken, put back by restore(). The backup API rather than a file copy:
    the pages still in the WAL come along, and no file is copied under an open connection."""

    def __init__(self, engine, to: Path):
        self.engine, self.copy = engine, to
        _backup(Path(engine.url.database), to)

    def restore(self) -> None:
        self.engine.dispose()  # no pooled connection keeps pages read before the restore
        _backup(self.copy, Path(self.engine.url.database))


def _backup(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


class Caller:
    """The Authorization header of one user, minting a new token if a generated request revoked the last one
    (DELETE /tokens/{id} is part of the API under test)."""

    def __init__(self, rt, name: str, app):
        self.rt, self.name, self.app, self.secret = rt, name, app, None
        self.email = None if name == "anonymous" else f"{name}@example.org"

    def headers(self) -> dict:
        """For one request, which is counted."""
        SENT[self.name, "requests"] += 1
        return self.authorization()

    def authorization(self) -> dict:
        if self.email is None:
            return {}
        with self.rt.session() as db:
            if self.secret is None or identity.user_for_api_token(db, self.secret) is None:
                user = identity.user_by_email(db, self.email)
                self.secret = identity.create_api_token(db, user, name="schemathesis").secret
        return {"Authorization": f"Bearer {self.secret}"}

    def saw(self, response) -> None:
        if response.status_code >= 500:
            SENT[self.name, "5xx"] += 1


@pytest.fixture(scope="module", autouse=True)
def count_cases():
    """The long run (bench/api_contract.py) reads from this file how many requests each caller sent."""
    yield
    if os.environ.get("SCHEMATHESIS_COUNT_TO"):
        with open(os.environ["SCHEMATHESIS_COUNT_TO"], "a") as out:
            out.writelines(f"{name} {what} {count}\n" for (name, what), count in sorted(SENT.items()))


@pytest.fixture(params=CALLERS)
def caller(request, rt, tmp_path) -> Caller:
    app = create_app(rt)  # first: it registers the job kinds the world's job needs
    build_world(rt, tmp_path)
    made = Caller(rt, request.param, app)
    made.authorization()  # its token is part of the world that each sequence starts from
    made.snapshot = Snapshot(rt.engine, tmp_path / "world-as-built.db")
    return made


@pytest.fixture
def api_schema(caller):
    return schemathesis.openapi.from_asgi(
        "/api/v1/openapi.json", caller.app, config=SchemathesisConfig.from_str(CONFIG)
    )


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@SETTINGS
def test_every_operation_keeps_to_the_document(case, caller):
    headers = caller.headers()
    response = case.call(headers=headers)  # call_and_validate, with the status counted in between
    caller.saw(response)
    case.validate_response(response, headers=headers, transport_kwargs={"headers": dict(headers)})


def sequences(api_schema, caller):
    """The state machine, each of whose sequences starts from the world as built: links are drawn from the
    responses, so a world that earlier sequences had changed showed Hypothesis a different strategy on replay
    (FlakyStrategyDefinition)."""

    class Sequences(api_schema.as_state_machine()):
        def setup(self):
            caller.snapshot.restore()

        def get_call_kwargs(self, case):
            return {"headers": caller.headers()}

        def after_call(self, response, case):
            caller.saw(response)

    return Sequences


def test_sequences_of_operations_keep_to_the_document(api_schema, caller):
    run_state_machine_as_test(sequences(api_schema, caller), settings=settings(SETTINGS, stateful_step_count=STEPS))


def dump(engine) -> list[str]:
    with closing(sqlite3.connect(engine.url.database)) as conn:
        return list(conn.iterdump())


@pytest.mark.parametrize("caller", ["applicant"], indirect=True)
def test_each_sequence_starts_from_the_world_as_built(api_schema, caller):
    built = dump(caller.rt.engine)
    Sequences = sequences(api_schema, caller)
    Sequences()
    make_user(caller.rt, "later@example.org")  # what a sequence might have done
    caller.secret = None
    caller.authorization()
    assert dump(caller.rt.engine) != built
    Sequences()
    assert dump(caller.rt.engine) == built
    # and the app reads the restored file, not pages cached before it
    with caller.rt.session() as db, pytest.raises(NotFound):
        identity.user_by_email(db, "later@example.org")


def test_every_schema_in_the_document_has_its_own_name(app):
    """Two models of one name in different modules get module-qualified names in the document (a client's
    generated types change under it): each body and answer model is named once."""
    names = app.openapi()["components"]["schemas"]
    assert not [n for n in names if "__" in n]

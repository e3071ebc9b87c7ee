"""The OpenAPI document is the truth: schemathesis, in-process against the ASGI app, with every check, finds no
failure, per operation (examples, coverage and fuzzing phases) and in stateful sequences that follow the links it
infers between operations; once anonymously and once with an applicant's API token.

Small by default (a few examples per operation, well under a minute on two cores). A long run:
    SCHEMATHESIS_EXAMPLES=2000 make test PYTEST_ARGS="tests/test_api_contract.py -q"
(`make bench BENCH_ARGS=api-contract` or `.venv/bin/python bench/api_contract.py 2000` does that and counts them.)
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from accord.identity import service as identity
from accord.web.app import create_app
from tests.test_authorization import build_world

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "4"))
STEPS = int(os.environ.get("SCHEMATHESIS_STEPS", "6"))
CALLERS = os.environ.get("SCHEMATHESIS_CALLERS", "anonymous,applicant").split(",")
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not os.environ.get("SCHEMATHESIS_RANDOM"),
                    suppress_health_check=list(HealthCheck))
CASES = {"count": 0}
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
CONFIG = "\n".join(f"""
[[operations]]
include-name = "{name}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
""" for name in TERMS_JUDGED)


class Caller:
    """The Authorization header of one user, minting a new token if a generated request revoked the last one
    (DELETE /tokens/{id} is part of the API under test)."""

    def __init__(self, rt, email: str | None):
        self.rt, self.email, self.secret = rt, email, None

    def headers(self) -> dict:
        CASES["count"] += 1
        if self.email is None:
            return {}
        with self.rt.session() as db:
            if self.secret is None or identity.user_for_api_token(db, self.secret) is None:
                user = identity.user_by_email(db, self.email)
                self.secret = identity.create_api_token(db, user, name="schemathesis").secret
        return {"Authorization": f"Bearer {self.secret}"}


@pytest.fixture(scope="module", autouse=True)
def count_cases():
    """The long run (bench/api_contract.py) reads how many requests were sent from this file."""
    yield
    if os.environ.get("SCHEMATHESIS_COUNT_TO"):
        with open(os.environ["SCHEMATHESIS_COUNT_TO"], "a") as out:
            out.write(f"{CASES['count']}\n")


@pytest.fixture(params=CALLERS)
def caller(request, rt, tmp_path) -> Caller:
    app = create_app(rt)  # first: it registers the job kinds the world's job needs
    build_world(rt, tmp_path)
    email = None if request.param == "anonymous" else f"{request.param}@example.org"
    made = Caller(rt, email)
    made.app = app
    return made


@pytest.fixture
def api_schema(caller):
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", caller.app,
                                          config=SchemathesisConfig.from_str(CONFIG))


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@SETTINGS
def test_every_operation_keeps_to_the_document(case, caller):
    case.call_and_validate(headers=caller.headers())


def test_sequences_of_operations_keep_to_the_document(api_schema, caller):
    class Sequences(api_schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": caller.headers()}

    run_state_machine_as_test(Sequences, settings=settings(SETTINGS, stateful_step_count=STEPS))

"""Every AccordError maps to one HTTP status (problem+json or an HTML page) and one CLI exit code."""

import pytest
import typer
from fastapi.testclient import TestClient

from accord import errors
from accord.cli import main as cli

CASES = [
    (errors.NotFound, 404, 3),
    (errors.PermissionDenied, 403, 4),
    (errors.NotAuthenticated, 401, 4),
    (errors.InvalidInput, 422, 2),
    (errors.TooLarge, 413, 2),
    (errors.Conflict, 409, 5),
    (errors.IllegalTransition, 409, 5),
    (errors.AccordError, 400, 1),
]


def _raise(cls):
    if cls is errors.RateLimited:
        raise cls("slow down", retry_after=7)
    raise cls(f"{cls.__name__} happened")


def test_every_error_class_is_covered_by_these_cases():
    def all_subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from all_subclasses(sub)

    covered = {c for c, _, _ in CASES} | {errors.RateLimited}
    known = {c for c in all_subclasses(errors.AccordError) if c.__module__ == "accord.errors"} | {errors.AccordError}
    assert known <= covered, f"add a case for {known - covered}"


@pytest.mark.parametrize(("cls", "status", "_code"), CASES)
def test_api_errors_are_problem_json_with_the_mapped_status(app, cls, status, _code):
    app.add_api_route("/api/v1/_boom", lambda: _raise(cls), methods=["GET"])
    with TestClient(app) as client:
        response = client.get("/api/v1/_boom")
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"] == f"{cls.__name__} happened"


@pytest.mark.parametrize(("cls", "status", "_code"), [c for c in CASES if c[0] is not errors.NotAuthenticated])
def test_page_errors_render_an_html_page_with_the_message(app, cls, status, _code):
    app.add_api_route("/_boom", lambda: _raise(cls), methods=["GET"])
    with TestClient(app) as client:
        response = client.get("/_boom")
    assert response.status_code == status
    assert "text/html" in response.headers["content-type"]
    assert f"{cls.__name__} happened" in response.text


def test_a_page_that_needs_a_login_redirects_to_the_login_page(app):
    app.add_api_route("/_private", lambda: _raise(errors.NotAuthenticated), methods=["GET"])
    with TestClient(app, follow_redirects=False) as client:
        response = client.get("/_private")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/_private"


def test_rate_limited_answers_429_with_retry_after(app):
    app.add_api_route("/api/v1/_slow", lambda: _raise(errors.RateLimited), methods=["GET"])
    with TestClient(app) as client:
        response = client.get("/api/v1/_slow")
    assert response.status_code == 429 and response.headers["retry-after"] == "7"


def test_an_unexpected_crash_is_a_500_with_a_request_id_and_no_traceback(app):
    def crash():
        raise RuntimeError("secret internals")

    app.add_api_route("/api/v1/_crash", crash, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/_crash")
    assert response.status_code == 500
    assert "secret internals" not in response.text and response.json()["request_id"]


@pytest.mark.parametrize(("cls", "_status", "code"), [*CASES, (errors.RateLimited, 429, 6)])
def test_cli_prints_the_message_and_exits_with_the_mapped_code(monkeypatch, capsys, cls, _status, code):
    probe = typer.Typer()

    @probe.command()
    def boom():
        _raise(cls)

    @probe.command()
    def other():
        pass

    monkeypatch.setattr(cli, "app", probe)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["boom"])
    assert exit_info.value.code == code
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"), [(["dataset", "show"], "Missing argument"), (["dataset", "list", "--bogus"], "No such option")]
)
def test_cli_usage_errors_print_usage_and_exit_2_without_a_traceback(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    printed = capsys.readouterr()
    assert message in printed.err + printed.out and "Traceback" not in printed.err


def test_an_error_raised_inside_a_unit_of_work_still_renders_the_signed_in_page(app, rt):
    """The rollback expires the user the page header reads, and the request's session is closed before the
    error page renders: the page must still show who is signed in instead of crashing."""
    from accord.db import unit_of_work
    from accord.http.deps import CurrentUser, Db
    from tests.identity.helpers import log_in, make_user

    make_user(rt, "rev@example.org", "reviewer")

    def conflict(db: Db, me: CurrentUser):
        with unit_of_work(db):
            me.name = "changed, then rolled back"
            raise errors.Conflict("someone else was faster")

    app.add_api_route("/_conflict", conflict, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as client:
        log_in(client, "rev@example.org")
        response = client.get("/_conflict")
    assert response.status_code == 409 and "someone else was faster" in response.text
    assert 'href="/review"' in response.text  # the signed-in header, from the user's roles

"""accord apply and accord applications from a laptop: with a personal API token the commands talk to a live
server as the token's owner (no database here), print what a local run prints, and exit with the same codes."""

from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select

from accord.access.models import Application
from accord.cli import applications, reviews, steps
from accord.cli import main as cli
from accord.db import utcnow
from accord.entitlements.models import Entitlement
from accord.identity import service as identity
from accord.web.app import create_app
from tests.access.helpers import answers, dataset_with_terms, person
from tests.live import serving


@pytest.fixture
def world(rt, tmp_path, monkeypatch):
    at_ustc = dataset_with_terms(rt, tmp_path, "at-ustc")
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    dataset_with_terms(rt, tmp_path, "llvip")
    with rt.session() as db:
        people = {
            "ana": person(db, "ana@mit.edu"),
            "rev": person(db, "rev@ustc.edu.cn", reviewer_of=at_ustc),
            "stranger": person(db, "other@lab.example", reviewer_of=shhq),
        }
        tokens = {name: identity.create_api_token(db, u, name="laptop").secret for name, u in people.items()}
        tokens["expired"] = identity.create_api_token(
            db, people["ana"], name="old", expires_at=utcnow() - timedelta(days=1)
        ).secret
    monkeypatch.delenv("ACCORD_TOKEN", raising=False)
    monkeypatch.delenv("ACCORD_SERVER", raising=False)

    def no_database():
        raise AssertionError("a command with a token must not open a database")

    for module in (applications, reviews, steps):  # the laptop has none: prove it is not used
        monkeypatch.setattr(module, "runtime", no_database)
    cli.use_runtime(None)
    with serving(create_app(rt)) as url:
        yield {"url": url, **tokens}


def run(world, who, *args):
    try:
        cli.main([*args, "--server", world["url"], "--token", world[who]])
    except SystemExit as exc:
        return exc.code
    return 0


def answers_file(tmp_path, slug):
    path = tmp_path / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(answers(slug, "ana@mit.edu")))
    return str(path)


def status(rt, app_id):
    with rt.session() as db:
        return db.get(Application, app_id).status


def only_id(rt):
    with rt.session() as db:
        return db.scalar(select(Application.id))


def test_an_applicant_applies_for_llvip_with_a_token_and_is_approved_automatically(rt, world, tmp_path, capsys):
    code = run(
        world,
        "ana",
        "apply",
        "llvip",
        "--answers",
        answers_file(tmp_path, "llvip"),
        "--sign",
        "Ana Lima",
        "--agree",
        "--submit",
    )
    app_id = only_id(rt)
    assert code == 0 and f"application {app_id} for llvip: approved" in capsys.readouterr().out
    with rt.session() as db:
        assert db.scalar(select(Entitlement.application_id)) == app_id
    assert run(world, "ana", "applications", "list") == 0
    listed = capsys.readouterr().out
    assert str(app_id) in listed and "llvip" in listed and "approved" in listed


def test_a_reviewer_approves_from_the_cli_with_their_token_and_the_applicant_sees_it(
    rt, world, tmp_path, capsys, monkeypatch
):
    assert (
        run(
            world,
            "ana",
            "apply",
            "at-ustc",
            "--answers",
            answers_file(tmp_path, "at-ustc"),
            "--sign",
            "Ana Lima",
            "--agree",
        )
        == 0
    )
    app_id = only_id(rt)
    assert f"application {app_id} for at-ustc: submitted" in capsys.readouterr().out
    assert run(world, "rev", "applications", "queue") == 0
    assert "ana@mit.edu" in capsys.readouterr().out
    assert run(world, "rev", "applications", "approve", str(app_id), "--note", "fine") == 0
    assert f"application {app_id} for at-ustc: approved" in capsys.readouterr().out
    # The applicant's laptop keeps its address and token in the environment.
    monkeypatch.setenv("ACCORD_SERVER", world["url"])
    monkeypatch.setenv("ACCORD_TOKEN", world["ana"])
    assert cli_code("applications", "show", str(app_id)) == 0
    shown = capsys.readouterr().out
    assert f"application {app_id} for at-ustc (terms v1) by ana@mit.edu: approved" in shown
    assert "check institutional_email: pass" in shown and "approved" in shown.splitlines()[-1]


def cli_code(*args):
    try:
        cli.main(list(args))
    except SystemExit as exc:
        return exc.code
    return 0


def test_a_strangers_token_can_neither_see_nor_decide_someone_elses_application(rt, world, tmp_path, capsys):
    run(
        world,
        "ana",
        "apply",
        "at-ustc",
        "--answers",
        answers_file(tmp_path, "at-ustc"),
        "--sign",
        "Ana Lima",
        "--agree",
    )
    app_id = str(only_id(rt))
    capsys.readouterr()
    assert run(world, "stranger", "applications", "show", app_id) == 3  # NotFound: it is not theirs to know of
    assert "error:" in capsys.readouterr().err
    assert run(world, "stranger", "applications", "approve", app_id) == 3  # as if absent: no existence oracle
    assert run(world, "stranger", "applications", "withdraw", app_id) == 3
    assert run(world, "ana", "applications", "approve", app_id) == 4  # nor the applicant her own
    assert "cannot decide on their own application" in capsys.readouterr().err
    assert status(rt, app_id) == "submitted"


def test_the_servers_refusals_are_printed_as_they_are_with_the_local_exit_codes(rt, world, tmp_path, capsys):
    run(
        world,
        "ana",
        "apply",
        "at-ustc",
        "--answers",
        answers_file(tmp_path, "at-ustc"),
        "--sign",
        "Ana Lima",
        "--agree",
    )
    app_id = str(only_id(rt))
    capsys.readouterr()
    assert run(world, "rev", "applications", "reject", app_id) == 2  # a reason is required
    assert "reason" in capsys.readouterr().err
    assert run(world, "ana", "applications", "submit", app_id) == 5  # submitted already
    assert "submitted" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**answers("shhq", "ana@mit.edu"), "shoe_size": "42"}))
    assert run(world, "ana", "apply", "shhq", "--answers", str(bad)) == 2
    assert "shoe_size" in capsys.readouterr().err
    assert run(world, "ana", "apply", "no-such", "--answers", answers_file(tmp_path, "shhq")) == 3
    with rt.session() as db:
        assert db.scalar(select(Application.id).where(Application.id != int(app_id))) is None  # nothing started
    assert status(rt, app_id) == "submitted"


def test_a_wrong_or_expired_token_is_told_clearly(world, capsys):
    world["wrong"] = "acc_not-a-real-token"
    for token in ("wrong", "expired"):
        assert run(world, token, "applications", "list") == 4
        err = capsys.readouterr().err
        assert "did not accept your API token" in err and "wrong, expired or revoked" in err


def test_a_token_and_as_together_are_refused(world, capsys):
    assert run(world, "ana", "applications", "list", "--as", "ana@mit.edu") == 2
    assert "--as" in capsys.readouterr().err


def test_the_accord_command_on_a_machine_without_a_database_follows_an_application(rt, world, tmp_path):
    """The real `accord` process, in an empty folder, with only the server's address and a token."""
    import os
    import subprocess
    import sys

    run(
        world,
        "ana",
        "apply",
        "at-ustc",
        "--answers",
        answers_file(tmp_path, "at-ustc"),
        "--sign",
        "Ana Lima",
        "--agree",
    )
    app_id = only_id(rt)
    laptop = tmp_path / "laptop"
    laptop.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}

    def accord(token, *args):
        return subprocess.run(
            [sys.executable, "-m", "accord.cli.main", *args],
            cwd=laptop,
            capture_output=True,
            text=True,
            env={**env, "ACCORD_SERVER": world["url"], "ACCORD_TOKEN": token},
            timeout=120,
        )

    shown = accord(world["ana"], "applications", "show", str(app_id))
    assert shown.returncode == 0, shown.stderr
    assert f"application {app_id} for at-ustc (terms v1) by ana@mit.edu: submitted" in shown.stdout
    refused = accord("acc_nothing-like-a-token", "applications", "show", str(app_id))
    assert refused.returncode == 4 and "did not accept your API token" in refused.stderr
    assert list(laptop.iterdir()) == []  # no data folder, no database made on the laptop


def test_signing_by_hand_over_the_api_print_sign_upload_and_read_back(rt, world, tmp_path, capsys):
    from tests.access.helpers import png

    assert run(world, "ana", "apply", "at-ustc", "--answers", answers_file(tmp_path, "at-ustc")) == 0
    app_id = str(only_id(rt))
    pdf = tmp_path / "to-print.pdf"
    assert run(world, "ana", "applications", "agreement", app_id, str(pdf)) == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert run(world, "ana", "applications", "agreement", app_id, str(pdf)) == 2  # never over a file
    junk = tmp_path / "scan.gif"
    junk.write_bytes(b"GIF89a not a scan")
    assert run(world, "ana", "applications", "sign", app_id, "Ana Lima", "--agree", "--scan", str(junk)) == 2
    scan = tmp_path / "signed.png"
    scan.write_bytes(png())
    assert run(world, "stranger", "applications", "sign", app_id, "Ana Lima", "--agree", "--scan", str(scan)) == 3
    assert status(rt, app_id) == "draft"
    assert run(world, "ana", "applications", "sign", app_id, "Ana Lima", "--agree", "--scan", str(scan)) == 0
    assert run(world, "ana", "applications", "submit", app_id) == 0
    assert status(rt, app_id) == "submitted"
    back = tmp_path / "back"
    back.mkdir()
    assert run(world, "rev", "applications", "show", app_id, "--scan", str(back)) == 0
    assert (back / f"signed-agreement-{app_id}.png").read_bytes() == png()


def test_a_server_without_a_token_is_refused_and_an_unreachable_one_is_named(world, capsys):
    import socket

    assert cli_code("applications", "list", "--server", world["url"]) == 2
    assert "needs your API token" in capsys.readouterr().err
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    probe.close()  # nothing listens there
    assert cli_code("applications", "list", "--server", closed, "--token", world["ana"]) == 1
    assert f"cannot reach {closed}" in capsys.readouterr().err


class FailOnce:
    """Test-only ASGI wrapper: the first request to each path answers 500 without reaching the app."""

    def __init__(self, app):
        self.app, self.seen = app, []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.seen.append((scope["method"], scope["path"]))
            if self.seen.count((scope["method"], scope["path"])) == 1:
                await send(
                    {"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"text/plain")]}
                )
                await send({"type": "http.response.body", "body": b"boom"})
                return
        await self.app(scope, receive, send)


def test_the_client_retries_a_read_but_never_sends_a_change_twice(rt, world, tmp_path):
    from accord.client import Client, ClientError

    app = FailOnce(create_app(rt))
    with serving(app) as url, Client(url, world["ana"], backoff=0) as client:
        assert client.applications() == []  # a read: the 500 is retried
        with pytest.raises(ClientError) as failed:
            client.apply("llvip", answers("llvip", "ana@mit.edu"))
        assert failed.value.status == 500 and "the server failed" in str(failed.value)
    assert app.seen.count(("GET", "/api/v1/applications")) == 2
    assert app.seen.count(("POST", "/api/v1/datasets/llvip/applications")) == 1
    assert only_id(rt) is None


def test_an_application_started_before_its_signature_failed_is_named_and_kept(rt, world, tmp_path, capsys):
    partial = tmp_path / "partial.yaml"
    partial.write_text(yaml.safe_dump({"name": "Ana Lima"}))
    assert run(world, "ana", "apply", "shhq", "--answers", str(partial), "--sign", "Ana Lima", "--agree") == 2
    app_id = only_id(rt)
    err = capsys.readouterr().err
    assert f"application {app_id} was started and is kept" in err and "organisation" in err.lower()
    assert status(rt, app_id) == "draft"

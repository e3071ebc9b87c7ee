"""accord user ...: create, grant, revoke-role, list, token."""

from __future__ import annotations

import pytest

from accord.catalog.models import Dataset
from accord.cli import main as cli
from accord.db import unit_of_work
from accord.identity import service as identity
from tests.identity.helpers import PASSWORD, log_in


@pytest.fixture
def run(rt, monkeypatch, capsys):
    """Run `accord ...` in-process on the test runtime; returns (exit code, stdout, stderr)."""
    cli.use_runtime(rt)

    def invoke(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        try:
            cli.main(list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield invoke
    cli.use_runtime(None)


def test_a_user_created_on_the_command_line_can_log_in_on_the_web(run, client):
    code, out, _ = run(
        "user",
        "create",
        "ROOT@example.org",
        "--name",
        "Root",
        "--password-stdin",
        "--role",
        "admin",
        "--role",
        "curator",
        stdin=PASSWORD + "\n",
    )
    assert code == 0 and "created root@example.org" in out and "admin" in out
    log_in(client, "root@example.org")
    assert client.get("/admin/outbox").status_code == 200


def test_creating_with_a_weak_password_or_an_unknown_role_fails_with_exit_code_2_and_no_account(run, rt):
    assert run("user", "create", "a@example.org", "--password", "short")[0] == 2
    code, _, err = run("user", "create", "a@example.org", "--password", PASSWORD, "--role", "king")
    assert code == 2 and "unknown role" in err
    code, _, err = run("user", "create", "a@example.org", "--password-stdin", stdin="")
    assert code == 2
    with rt.session() as db:
        assert identity.list_users(db) == []


def test_creating_an_existing_user_is_a_conflict(run):
    assert run("user", "create", "a@example.org", "--password", PASSWORD)[0] == 0
    code, _, err = run("user", "create", "A@example.org", "--password", PASSWORD)
    assert code == 5 and "already exists" in err


def test_roles_are_granted_per_dataset_by_slug_listed_and_revoked(run, rt):
    with rt.session() as db, unit_of_work(db):
        db.add(Dataset(slug="llvip", title="LLVIP", custodian="BUPT"))
    run("user", "create", "cy@example.org", "--name", "Cy", "--password", PASSWORD)
    code, out, _ = run("user", "grant", "cy@example.org", "curator", "--dataset", "llvip")
    assert code == 0 and "granted curator of llvip" in out
    assert "curator of llvip" in run("user", "list")[1]
    assert run("user", "grant", "cy@example.org", "curator", "--dataset", "nope")[0] == 3
    assert run("user", "grant", "nobody@example.org", "curator")[0] == 3
    code, out, _ = run("user", "revoke-role", "cy@example.org", "curator", "--dataset", "llvip")
    assert code == 0 and "revoked" in out
    assert run("user", "revoke-role", "cy@example.org", "curator", "--dataset", "llvip")[0] == 3
    assert "curator" not in run("user", "list")[1]


def test_a_token_is_printed_once_and_works_for_the_api(run, client):
    run("user", "create", "ada@example.org", "--password", PASSWORD)
    code, out, err = run("user", "token", "ada@example.org", "--name", "laptop")
    assert code == 0 and "not shown again" in err
    secret = out.strip()
    assert secret.startswith("acc_")
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

"""accord apply and accord applications: the applicant's and the reviewer's paths, and exit codes on errors."""

import re

import pytest
import yaml
from sqlalchemy import select

from accord.access.models import Application
from accord.cli import main as cli
from tests.access.helpers import SIGNATORY, answers, dataset_with_terms, person, png
from tests.cli import run


@pytest.fixture
def world(rt, tmp_path):
    cli.use_runtime(rt)
    at_ustc = dataset_with_terms(rt, tmp_path, "at-ustc")
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        person(db, "ana@mit.edu")
        person(db, "rev@ustc.edu.cn", reviewer_of=at_ustc)
        person(db, "other@lab.example", reviewer_of=shhq)
    yield
    cli.use_runtime(None)


def answers_file(tmp_path, slug, **extra):
    path = tmp_path / f"{slug}-answers.yaml"
    path.write_text(yaml.safe_dump({**answers(slug, "ana@mit.edu"), **extra}, allow_unicode=True))
    return str(path)


def only_id(rt):
    with rt.session() as db:
        return db.scalar(select(Application.id))


def test_apply_signs_and_submits_and_a_reviewer_approves_from_the_command_line(rt, world, tmp_path, capsys):
    code = run(
        "apply",
        "at-ustc",
        "--answers",
        answers_file(tmp_path, "at-ustc"),
        "--sign",
        "Ana Lima",
        "--agree",
        "--as",
        "ana@mit.edu",
    )
    assert code == 0
    app_id = only_id(rt)
    assert f"application {app_id} for at-ustc: submitted" in capsys.readouterr().out
    assert run("applications", "list", "--as", "ana@mit.edu") == 0
    assert "submitted" in capsys.readouterr().out
    assert run("applications", "show", str(app_id), "--as", "rev@ustc.edu.cn") == 0
    shown = capsys.readouterr().out
    assert "check institutional_email: pass" in shown and "checks_run" in shown
    assert run("applications", "approve", str(app_id), "--note", "fine", "--as", "rev@ustc.edu.cn") == 0
    assert "approved" in capsys.readouterr().out


def test_apply_without_sign_leaves_a_draft_that_is_signed_and_submitted_later(rt, world, tmp_path, capsys):
    assert run("apply", "shhq", "--answers", answers_file(tmp_path, "shhq"), "--as", "ana@mit.edu") == 0
    app_id = only_id(rt)
    out = capsys.readouterr().out
    assert "draft" in out and "your signature on the agreement" in out
    assert run("applications", "sign", str(app_id), "Ana Lima", "--as", "ana@mit.edu") == 2  # no --agree
    assert run("applications", "sign", str(app_id), "Ana Lima", "--agree", "--as", "ana@mit.edu") == 0
    assert run("applications", "submit", str(app_id), "--as", "ana@mit.edu") == 0
    assert run("applications", "submit", str(app_id), "--as", "ana@mit.edu") == 5  # a second submit
    assert run("applications", "withdraw", str(app_id), "--as", "ana@mit.edu") == 0
    assert "withdrawn" in capsys.readouterr().out


def test_reject_and_return_need_their_reason_and_other_reviewers_are_refused(rt, world, tmp_path, capsys):
    run(
        "apply",
        "at-ustc",
        "--answers",
        answers_file(tmp_path, "at-ustc"),
        "--sign",
        "Ana Lima",
        "--agree",
        "--as",
        "ana@mit.edu",
    )
    app_id = str(only_id(rt))
    assert run("applications", "approve", app_id, "--as", "other@lab.example") == 3  # as if absent
    assert run("applications", "show", app_id, "--as", "other@lab.example") == 3
    assert run("applications", "reject", app_id, "--as", "rev@ustc.edu.cn") == 2  # a reason is required
    assert run("applications", "return", app_id, "--comment", " ", "--as", "rev@ustc.edu.cn") == 2
    assert run("applications", "return", app_id, "--comment", "Name the site.", "--as", "rev@ustc.edu.cn") == 0
    assert "returned" in capsys.readouterr().out
    assert run("applications", "reject", app_id, "--reason", "Too late.", "--as", "rev@ustc.edu.cn") == 5


def test_bad_answers_or_a_missing_consent_create_nothing(rt, world, tmp_path, capsys):
    assert run("apply", "shhq", "--answers", answers_file(tmp_path, "shhq", shoe_size="42"), "--as", "ana@mit.edu") == 2
    assert "shoe_size" in capsys.readouterr().err
    assert (
        run("apply", "shhq", "--answers", answers_file(tmp_path, "shhq"), "--sign", "Ana Lima", "--as", "ana@mit.edu")
        == 2
    )
    assert "--agree" in capsys.readouterr().err
    assert run("apply", "shhq", "--answers", str(tmp_path / "missing.yaml"), "--as", "ana@mit.edu") == 2
    assert run("apply", "shhq", "--answers", answers_file(tmp_path, "shhq")) == 2  # nobody named with --as
    assert run("apply", "no-such", "--answers", answers_file(tmp_path, "shhq"), "--as", "ana@mit.edu") == 3
    assert only_id(rt) is None


def test_a_cion_al_answers_file_names_the_signatory(rt, world, tmp_path, capsys):
    dataset_with_terms(rt, tmp_path, "cion-al")
    path = tmp_path / "cion.yaml"
    path.write_text(yaml.safe_dump({**answers("cion-al", "ana@mit.edu"), "signatory": SIGNATORY}))
    assert run("apply", "cion-al", "--answers", str(path), "--sign", "Ana Lima", "--agree", "--as", "ana@mit.edu") == 0
    out = capsys.readouterr().out
    assert "awaiting_signatory" in out and "signatory" in out


def test_show_saves_the_signed_scan_for_the_applicant_and_reviewers_and_refuses_bad_targets(
    rt, world, tmp_path, capsys
):
    from accord.access import scan
    from accord.access import service as access
    from accord.identity import service as identity

    assert run("apply", "at-ustc", "--answers", answers_file(tmp_path, "at-ustc"), "--as", "ana@mit.edu") == 0
    app_id = only_id(rt)
    folder = tmp_path / "scans"
    folder.mkdir()
    assert run("applications", "show", str(app_id), "--scan", str(folder), "--as", "ana@mit.edu") == 3
    assert "has no uploaded scan: it is not signed yet" in capsys.readouterr().err
    assert not list(folder.iterdir())
    with rt.session() as db:
        ana = identity.user_by_email(db, "ana@mit.edu")
        scan.upload(rt, db, app_id, actor=ana, data=png(), full_name="Ana Lima", consent=True)
        access.submit(db, app_id, actor=ana)  # reviewers see an application once it is submitted

    assert run("applications", "show", str(app_id), "--scan", str(folder), "--as", "rev@ustc.edu.cn") == 0
    saved = folder / f"signed-agreement-{app_id}.png"
    assert saved.read_bytes() == png() and f"saved to {saved}" in capsys.readouterr().out
    mine = tmp_path / "mine.png"
    assert run("applications", "show", str(app_id), "--scan", str(mine), "--as", "ana@mit.edu") == 0
    assert mine.read_bytes() == png()

    mine.write_bytes(b"keep me")  # an existing file is not overwritten
    assert run("applications", "show", str(app_id), "--scan", str(mine), "--as", "ana@mit.edu") == 2
    assert "already exists" in capsys.readouterr().err and mine.read_bytes() == b"keep me"
    nowhere = tmp_path / "missing" / "scan.png"
    assert run("applications", "show", str(app_id), "--scan", str(nowhere), "--as", "ana@mit.edu") == 2
    assert "cannot write" in capsys.readouterr().err and not nowhere.parent.exists()
    # A reviewer of another dataset is a stranger to it: not found, nothing written.
    assert run("applications", "show", str(app_id), "--scan", str(tmp_path / "x.png"), "--as", "other@lab.example") == 3
    assert not (tmp_path / "x.png").exists()


def test_the_review_queue_lists_what_waits_for_the_reviewer_and_submit_needs_a_signature(rt, world, tmp_path, capsys):
    assert (
        run("apply", "at-ustc", "--answers", answers_file(tmp_path, "at-ustc"), "--submit", "--as", "ana@mit.edu") == 2
    )  # nothing signed: nothing to submit, nothing started
    assert "--sign" in capsys.readouterr().err and only_id(rt) is None
    assert (
        run(
            "apply",
            "at-ustc",
            "--answers",
            answers_file(tmp_path, "at-ustc"),
            "--sign",
            "Ana Lima",
            "--agree",
            "--no-submit",
            "--as",
            "ana@mit.edu",
        )
        == 0
    )
    app_id = only_id(rt)
    assert f"application {app_id} for at-ustc: draft" in capsys.readouterr().out
    assert run("applications", "submit", str(app_id), "--as", "ana@mit.edu") == 0
    capsys.readouterr()
    assert run("applications", "queue", "--as", "rev@ustc.edu.cn") == 0
    assert f"{app_id}  at-ustc  submitted  ana@mit.edu (Example University)" in capsys.readouterr().out
    assert run("applications", "queue", "--as", "other@lab.example") == 0  # another dataset's reviewer
    assert "no submitted applications" in capsys.readouterr().out
    assert run("applications", "queue", "--as", "ana@mit.edu") == 4  # not a reviewer at all


def test_the_agreement_is_saved_to_print_and_a_hand_signed_scan_signs_it(rt, world, tmp_path, capsys):
    assert run("apply", "at-ustc", "--answers", answers_file(tmp_path, "at-ustc"), "--as", "ana@mit.edu") == 0
    app_id = str(only_id(rt))
    folder = tmp_path / "out"
    folder.mkdir()
    assert run("applications", "agreement", app_id, str(folder), "--as", "ana@mit.edu") == 0
    assert (folder / f"agreement-{app_id}.pdf").read_bytes().startswith(b"%PDF-")
    assert run("applications", "agreement", app_id, str(folder), "--as", "other@lab.example") == 3
    assert (
        run(
            "applications",
            "sign",
            app_id,
            "Ana Lima",
            "--agree",
            "--scan",
            str(tmp_path / "none.png"),
            "--as",
            "ana@mit.edu",
        )
        == 2
    )
    scan = tmp_path / "signed.png"
    scan.write_bytes(png())
    assert run("applications", "sign", app_id, "Ana Lima", "--agree", "--scan", str(scan), "--as", "ana@mit.edu") == 0
    assert run("applications", "submit", app_id, "--as", "ana@mit.edu") == 0
    assert "submitted" in capsys.readouterr().out


def test_show_tells_the_grant_after_approval_and_after_a_revocation(rt, world, tmp_path, capsys):
    from accord.entitlements import service as entitlements
    from accord.entitlements.models import Entitlement

    run(
        "apply",
        "at-ustc",
        "--answers",
        answers_file(tmp_path, "at-ustc"),
        "--sign",
        "Ana Lima",
        "--agree",
        "--as",
        "ana@mit.edu",
    )
    app_id = only_id(rt)
    assert run("applications", "approve", str(app_id), "--as", "rev@ustc.edu.cn") == 0
    capsys.readouterr()
    assert run("applications", "show", str(app_id), "--as", "ana@mit.edu") == 0
    assert "\n  access active\n" in capsys.readouterr().out
    with rt.session() as db:
        grant = db.scalar(select(Entitlement).where(Entitlement.application_id == app_id))
        entitlements.revoke(db, grant.id, actor="cli", reason="misuse")
    assert run("applications", "show", str(app_id), "--as", "ana@mit.edu") == 0
    assert re.search(r"\n  access revoked on \d{4}-\d{2}-\d{2}: misuse\n", capsys.readouterr().out)

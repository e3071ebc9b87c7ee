"""accord training upload|list|accept|reject, and the exit codes of refusals."""

import pytest
from sqlalchemy import select

from accord.access import service as access
from accord.cli import main as cli
from accord.identity import service as identity
from accord.training.models import TrainingCertificate
from tests.cli import run
from tests.training.helpers import dataset_needing_training, days, person, png, signed


@pytest.fixture
def world(rt, tmp_path):
    cli.use_runtime(rt)
    dataset = dataset_needing_training(rt, tmp_path)
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        person(db, "rev@lab.example", reviewer_of=dataset)
        app_id = signed(rt, db, "at-ustc", ana).id
    yield app_id
    cli.use_runtime(None)


def certs(rt):
    with rt.session() as db:
        return list(db.scalars(select(TrainingCertificate).order_by(TrainingCertificate.id)))


def upload_args(path, app_id, **kw):
    args = {
        "--course": "CITI Program",
        "--completed": str(days(-30)),
        "--expires": str(days(300)),
        "--application": str(app_id),
        "--as": "ana@mit.edu",
        **kw,
    }
    return ["training", "upload", str(path), *[x for kv in args.items() for x in kv]]


def test_upload_list_accept_and_reject_from_the_command_line(world, rt, tmp_path, capsys):
    app_id = world
    file = tmp_path / "citi.png"
    file.write_bytes(png())
    assert run(*upload_args(file, app_id)) == 0
    [cert] = certs(rt)
    assert (cert.status, cert.filename, cert.course) == ("pending", "citi.png", "CITI Program")
    assert run("training", "list", "--to-review", "--as", "rev@lab.example") == 0
    assert "ana@mit.edu" in capsys.readouterr().out
    assert run("training", "reject", str(cert.id), "--as", "rev@lab.example") == 2  # no reason given
    assert run("training", "accept", str(cert.id), "--as", "ana@mit.edu") == 4  # not their own
    assert run("training", "accept", str(cert.id), "--as", "rev@lab.example") == 0
    assert run("training", "accept", str(cert.id), "--as", "rev@lab.example") == 5  # already decided
    assert certs(rt)[0].status == "accepted"
    with rt.session() as db:
        ana = identity.user_by_email(db, "ana@mit.edu")
        assert access.submit(db, app_id, actor=ana).state.status.value == "submitted"
    assert run(*upload_args(file, app_id)) == 0  # a second upload is a new row
    second = certs(rt)[1]
    assert run("training", "reject", str(second.id), "--reason", "blurred", "--as", "rev@lab.example") == 0
    capsys.readouterr()
    assert run("training", "list", "--as", "ana@mit.edu") == 0
    listed = capsys.readouterr().out
    assert "rejected: blurred" in listed and "accepted" in listed


def test_refusals_exit_with_their_code_and_store_nothing(world, rt, tmp_path, capsys):
    app_id = world
    text = tmp_path / "cert.pdf"
    text.write_bytes(b"not a pdf at all")
    assert run(*upload_args(text, app_id)) == 2
    assert "the certificate must be a PDF, PNG or JPEG file" in capsys.readouterr().err
    assert run(*upload_args(tmp_path / "missing.png", app_id)) == 2
    assert run(*upload_args(text, 999)) == 3
    assert certs(rt) == []

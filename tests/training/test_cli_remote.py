"""accord training upload|list|accept|reject from a laptop: over a live server with each person's API token."""

import pytest
from sqlalchemy import select

from accord.cli import main as cli
from accord.cli import training as training_cli
from accord.identity import service as identity
from accord.training.models import TrainingCertificate
from accord.web.app import create_app
from tests.live import serving
from tests.training.helpers import dataset_needing_training, days, person, png, signed


@pytest.fixture
def world(rt, tmp_path, monkeypatch):
    dataset = dataset_needing_training(rt, tmp_path)
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        rev = person(db, "rev@lab.example", reviewer_of=dataset)
        app_id = signed(rt, db, "at-ustc", ana).id
        tokens = {
            "ana": identity.create_api_token(db, ana, name="laptop").secret,
            "rev": identity.create_api_token(db, rev, name="laptop").secret,
        }

    def no_database():
        raise AssertionError("a command with a token must not open a database")

    monkeypatch.setattr(training_cli, "runtime", no_database)
    cli.use_runtime(None)
    with serving(create_app(rt)) as url:
        yield {"url": url, "app_id": app_id, **tokens}


def run(world, who, *args) -> int:
    try:
        cli.main([*args, "--server", world["url"], "--token", world[who]])
    except SystemExit as exc:
        return exc.code
    return 0


def certs(rt):
    with rt.session() as db:
        return list(db.scalars(select(TrainingCertificate).order_by(TrainingCertificate.id)))


def upload(world, path):
    return run(
        world,
        "ana",
        "training",
        "upload",
        str(path),
        "--course",
        "CITI Program",
        "--completed",
        str(days(-30)),
        "--expires",
        str(days(300)),
        "--application",
        str(world["app_id"]),
    )


def test_upload_list_and_decide_over_the_api(rt, world, tmp_path, capsys):
    bad = tmp_path / "cert.pdf"
    bad.write_bytes(b"not a pdf at all")
    assert upload(world, bad) == 2
    assert "the certificate must be a PDF, PNG or JPEG file" in capsys.readouterr().err
    assert certs(rt) == []
    file = tmp_path / "citi.png"
    file.write_bytes(png())
    assert upload(world, file) == 0
    [cert] = certs(rt)
    assert (cert.status, cert.filename) == ("pending", "citi.png")
    assert f"certificate {cert.id} uploaded" in capsys.readouterr().out
    assert run(world, "rev", "training", "list", "--to-review") == 0
    assert "ana@mit.edu" in capsys.readouterr().out
    assert run(world, "ana", "training", "accept", str(cert.id)) == 4  # not her own
    assert run(world, "rev", "training", "reject", str(cert.id)) == 2  # no reason given
    assert run(world, "rev", "training", "accept", str(cert.id)) == 0
    assert run(world, "rev", "training", "accept", str(cert.id)) == 5  # already decided
    assert certs(rt)[0].status == "accepted"
    capsys.readouterr()
    assert run(world, "ana", "training", "list") == 0
    listed = capsys.readouterr().out
    assert "ana@mit.edu" in listed and "accepted" in listed

"""accord privacy anonymise / anonymisation / review-file from the server's shell: the job runs in the command's
process with a progress bar, the report and flagged files are printed, a file is reviewed, a run is cancelled."""

from __future__ import annotations

import pytest

from accord.cli import main as cli
from accord.privacy import service as privacy
from tests.cli import run
from tests.identity.helpers import make_user
from tests.privacy.scenes import dataset, files


@pytest.fixture
def shell(rt, tmp_path):
    cli.use_runtime(rt)
    dataset(rt, tmp_path, contents=files())
    make_user(rt, "curator@people.example.org", "curator")
    make_user(rt, "someone@elsewhere.example.org")
    yield
    cli.use_runtime(None)


def test_a_curator_anonymises_reviews_and_cancels_from_the_shell(rt, shell, capsys):
    me = ("--as", "curator@people.example.org")
    assert run("privacy", "anonymise", "people", "1.0", "--threshold", "2", *me) == 2  # a clear refusal
    assert "threshold" in capsys.readouterr().err
    assert run("privacy", "anonymise", "people", "1.0", "--as", "someone@elsewhere.example.org") != 0
    capsys.readouterr()
    assert run("privacy", "anonymise", "people", "1.0", "--blur", "box", *me) == 0
    said = capsys.readouterr().out
    assert "6 files, 4 faces blurred" in said  # the job's last message, under the bar
    assert "4 faces blurred in 4 images" in said and "broken/cut.jpg" in said and "review-file 1" in said
    with rt.session() as db:
        broken = next(f for f in privacy.anonymised_files(db, 1, flagged=True))
    assert run("privacy", "review-file", "1", str(broken.id), *me) == 2  # neither --fine, --drop nor --box
    assert run("privacy", "review-file", "1", str(broken.id), "--box", "1,2,3", *me) == 2
    assert run("privacy", "review-file", "1", str(broken.id), "--drop", *me) == 0
    assert "ready, new version 1.0-anon" in capsys.readouterr().out
    assert run("privacy", "anonymisation", "1", "--cancel", *me) == 0
    assert run("privacy", "anonymisation", "1", *me) == 0
    assert "cancelled, new version none" in capsys.readouterr().out

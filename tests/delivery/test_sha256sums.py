"""`accord download` leaves SHA256SUMS in the download folder, and GNU coreutils' own sha256sum checks it."""

import subprocess

import pytest

from accord.client import Client, ClientError
from accord.web.app import create_app
from tests.cli import run
from tests.delivery.world import make_world, sha
from tests.live import serving


def sha256sum_check(folder, sums="SHA256SUMS"):
    return subprocess.run(["sha256sum", "-c", "--strict", sums], cwd=folder, capture_output=True, text=True)


@pytest.fixture
def served(rt, tmp_path):
    def start(files=None):
        made = make_world(rt, tmp_path, "faces", files=files)
        return made, serving(create_app(rt))

    return start


def test_sha256sum_checks_the_folder_the_cli_downloaded(served, tmp_path, monkeypatch, capsys):
    made, server = served()
    monkeypatch.chdir(tmp_path)
    with server as url:
        assert run("download", "faces", "--server", url, "--token", made.token) == 0  # to ./faces by default
    folder = tmp_path / "faces"
    lines = (folder / "SHA256SUMS").read_text().splitlines()
    assert sorted(lines) == sorted(f"{sha(data)}  {path}" for path, data in made.files.items())
    checked = sha256sum_check(folder)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count(": OK") == len(made.files)
    (folder / "a" / "small.txt").write_bytes(b"changed after the download")
    assert sha256sum_check(folder).returncode == 1  # a real check: a changed file fails it


def test_odd_names_are_escaped_and_a_datasets_own_sha256sums_is_left_alone(served, tmp_path):
    files = {"SHA256SUMS": b"the dataset's own list\n", "back\\slash.txt": b"one", "with space/a b.txt": b"two"}
    made, server = served(files)
    to = tmp_path / "out"
    with server as url, Client(url, made.token) as c:
        c.download("faces", to=to)
    assert (to / "SHA256SUMS").read_bytes() == files["SHA256SUMS"]
    ours = (to / ".accord" / "SHA256SUMS").read_text()
    assert f"\\{sha(b'one')}  back\\\\slash.txt\n" in ours
    checked = sha256sum_check(to, ".accord/SHA256SUMS")  # paths stay relative to the download folder
    assert checked.returncode == 0 and checked.stdout.count(": OK") == 3, checked.stderr


def test_a_download_that_fails_leaves_no_sha256sums(served, tmp_path):
    made, server = served()
    to = tmp_path / "out"
    (to / "b").mkdir(parents=True)
    (to / "b" / "large.bin.part").write_bytes(b"\0" * 1000)  # wrong bytes: that file cannot be verified
    with server as url, Client(url, made.token) as c:
        with pytest.raises(ClientError, match="do not match"):
            c.download("faces", to=to, workers=1)
        assert not (to / "SHA256SUMS").exists() and not list(to.glob(".SHA256SUMS*"))
        c.download("faces", to=to)
    assert sha256sum_check(to).returncode == 0

"""`accord download` and accord.client against a live server: parallel, resumable, verified, and clear refusals."""

import errno
import hashlib
import os

import pytest

from accord import client as client_module
from accord.client import Client, ClientError, safe_target
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.web.app import create_app
from tests.cli import run
from tests.delivery.world import make_world
from tests.live import serving

BIG = 3 * 1024 * 1024 + 17  # loose file (packs hold blobs up to 1 MiB): served by sendfile with Range


@pytest.fixture
def world(rt, tmp_path):
    files = {f"crops/{i:03d}.jpg": os.urandom(2000 + i) for i in range(12)}
    files["video/big.bin"] = os.urandom(BIG)
    made = make_world(rt, tmp_path, "cion-al", files=files)
    with serving(create_app(rt)) as url:
        yield {"url": url, "token": made.token, "files": files, "grant": made.grant_id, "rt": rt}


def assert_identical(folder, files):
    """Exactly the dataset's files, plus the signed manifest kept as proof of what was delivered."""
    assert (folder / "manifest.jsonl").is_file() and (folder / "manifest.sig").is_file()
    got = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("manifest.jsonl", "manifest.sig", "SHA256SUMS")
    }
    assert {k: hashlib.sha256(v).hexdigest() for k, v in got.items()} == {
        k: hashlib.sha256(v).hexdigest() for k, v in files.items()
    }


def test_the_cli_downloads_every_file_and_verifies_it(world, tmp_path, capsys):
    to = tmp_path / "out"
    assert run("download", "cion-al", "--to", str(to), "--server", world["url"], "--token", world["token"]) == 0
    assert "13 files verified" in capsys.readouterr().out
    assert_identical(to, world["files"])


def test_a_partial_download_resumes_and_ends_identical(world, tmp_path):
    to = tmp_path / "out"
    (to / "video").mkdir(parents=True)
    (to / "video" / "big.bin.part").write_bytes(world["files"]["video/big.bin"][:1_000_000])  # as a kill leaves it
    sent = []
    with Client(world["url"], world["token"]) as c:
        c.download("cion-al", to=to, progress=sent.append)
    assert_identical(to, world["files"])
    assert sum(sent) == sum(len(v) for v in world["files"].values()) - 1_000_000  # only the rest was fetched


def test_a_second_run_fetches_nothing_and_a_corrupt_file_is_fetched_again(world, tmp_path):
    to = tmp_path / "out"
    with Client(world["url"], world["token"]) as c:
        c.download("cion-al", to=to)
        (to / "crops" / "000.jpg").write_bytes(b"tampered")
        big = (to / "video" / "big.bin").stat().st_mtime_ns
        c.download("cion-al", to=to)
    assert_identical(to, world["files"])
    assert (to / "video" / "big.bin").stat().st_mtime_ns == big  # verified in place, not fetched again


def test_a_corrupt_partial_file_is_detected_and_dropped(world, tmp_path):
    to = tmp_path / "out"
    (to / "video").mkdir(parents=True)
    part = to / "video" / "big.bin.part"
    part.write_bytes(b"\0" * 1000)  # wrong bytes: the resumed file cannot match the manifest
    with Client(world["url"], world["token"]) as c:
        with pytest.raises(ClientError, match="do not match"):
            c.download("cion-al", to=to, workers=1)
        assert not part.exists()
        c.download("cion-al", to=to)  # the next run starts that file afresh
    assert_identical(to, world["files"])


def test_a_revoked_grant_stops_the_cli_with_the_reason(world, tmp_path, capsys):
    rt = world["rt"]
    with rt.session() as db:
        entitlements.revoke(db, world["grant"], actor="cli", reason="terms breached")
    code = run(
        "download", "cion-al", "--to", str(tmp_path / "out"), "--server", world["url"], "--token", world["token"]
    )
    assert code == 4 and "terms breached" in capsys.readouterr().err


def test_someone_without_a_grant_is_refused(world, tmp_path, capsys):
    rt = world["rt"]
    with rt.session() as db:
        bob = identity.create_user(db, email="bob@mit.edu", name="Bob", password="a long passphrase!")
        token = identity.create_api_token(db, bob, name="t").secret
    assert run("download", "cion-al", "--to", str(tmp_path / "o"), "--server", world["url"], "--token", token) == 4
    assert "apply" in capsys.readouterr().err


def test_a_full_disk_is_a_clear_error_and_the_partial_file_is_kept(world, tmp_path, monkeypatch):
    real_open = open

    class Full:
        def __init__(self, f):
            self.f, self.n = f, 0

        def write(self, data):
            self.n += 1
            if self.n > 1:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.f.write(data)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    def fake_open(path, mode="r", *args, **kwargs):
        f = real_open(path, mode, *args, **kwargs)
        return Full(f) if str(path).endswith("big.bin.part") else f

    monkeypatch.setattr(client_module, "open", fake_open, raising=False)
    to = tmp_path / "out"
    with Client(world["url"], world["token"]) as c, pytest.raises(ClientError, match="disk is full"):
        c.download("cion-al", to=to, workers=1)
    assert (to / "video" / "big.bin.part").stat().st_size > 0


@pytest.mark.parametrize("path", ["../escape.jpg", "/etc/passwd", "a/../../b", ""])
def test_a_listed_path_outside_the_target_folder_is_refused(tmp_path, path):
    with pytest.raises(ClientError, match="outside"):
        safe_target(tmp_path, path)


def test_accord_download_starts_without_importing_the_server_side():
    import subprocess
    import sys

    code = (
        "import sys\nfrom accord.cli.main import main\ntry:\n    main(['download', '--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('sqlalchemy', 'fastapi', 'alembic') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "--to" in result.stdout

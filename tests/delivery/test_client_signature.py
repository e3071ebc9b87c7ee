"""The client and `accord download` check the manifest's signature before fetching anything, keep manifest.jsonl
and manifest.sig as proof, and `accord manifest verify` checks such a pair later."""

import os

import pytest

from accord import signing
from accord.cli import main as cli
from accord.client import Client, SignatureInvalid
from accord.web.app import create_app
from tests.cli import run
from tests.delivery.world import make_world
from tests.live import serving


class TamperedSignature:
    """Test-only: the app, but every manifest signature it sends has one byte flipped (a tampering proxy)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].endswith("-manifest.sig"):
            return await self.app(scope, receive, send)

        async def altered(message):
            if message["type"] == "http.response.body" and message.get("body"):
                body = bytearray(message["body"])
                body[len(body) // 2] ^= 0x01
                message = {**message, "body": bytes(body)}
            await send(message)

        await self.app(scope, receive, altered)


@pytest.fixture
def made(rt, tmp_path):
    files = {f"crops/{i:03d}.jpg": os.urandom(1000 + i) for i in range(4)}
    return make_world(rt, tmp_path, "sig-ds", files=files), files


def test_a_download_keeps_the_signed_manifest_which_verifies_later(rt, made, tmp_path, capsys):
    world, _files = made
    to = tmp_path / "out"
    with serving(create_app(rt)) as url:
        assert run("download", "sig-ds", "--to", str(to), "--server", url, "--token", world.token) == 0
        assert "server's published certificate" in capsys.readouterr().out
        assert run("manifest", "verify", str(to / "manifest.jsonl"), str(to / "manifest.sig"), "--server", url) == 0
    root_hash = signing.root_hash((to / "manifest.jsonl").read_bytes())
    assert "OK" in capsys.readouterr().out
    cert = rt.settings.data_dir / "keys" / "seal.pem"
    assert run("manifest", "verify", str(to / "manifest.jsonl"), str(to / "manifest.sig"), "--cert", str(cert)) == 0
    assert root_hash in capsys.readouterr().out
    cli.use_runtime(rt)
    try:
        assert run("manifest", "verify", str(to / "manifest.jsonl"), str(to / "manifest.sig")) == 0  # this server's
    finally:
        cli.use_runtime(None)


def test_an_altered_manifest_or_signature_does_not_verify(rt, made, tmp_path, capsys):
    world, _ = made
    to = tmp_path / "out"
    with serving(create_app(rt)) as url, Client(url, world.token) as c:
        c.download("sig-ds", to=to)
    cert = str(rt.settings.data_dir / "keys" / "seal.pem")
    manifest, sig = to / "manifest.jsonl", to / "manifest.sig"
    altered = tmp_path / "altered.jsonl"
    altered.write_bytes(manifest.read_bytes().replace(b"crops/000", b"crops/999"))
    assert run("manifest", "verify", str(altered), str(sig), "--cert", cert) == 1
    assert "does not verify" in capsys.readouterr().err
    bad = tmp_path / "bad.sig"
    bad.write_bytes(sig.read_bytes()[:-1] + bytes([sig.read_bytes()[-1] ^ 1]))
    assert run("manifest", "verify", str(manifest), str(bad), "--cert", cert) == 1
    other = signing.ensure_keys(tmp_path / "other-platform").cert
    assert run("manifest", "verify", str(manifest), str(sig), "--cert", str(other)) == 1
    assert run("manifest", "verify", str(manifest), str(tmp_path / "missing.sig"), "--cert", cert) != 0
    assert "cannot read" in capsys.readouterr().err


def test_a_tampered_signature_stops_the_download_before_any_file(rt, made, tmp_path, capsys):
    world, _ = made
    to = tmp_path / "out"
    with serving(TamperedSignature(create_app(rt))) as url:
        with Client(url, world.token) as c, pytest.raises(SignatureInvalid, match="does not verify"):
            c.download("sig-ds", to=to)
        assert not to.exists()
        assert run("download", "sig-ds", "--to", str(to), "--server", url, "--token", world.token) == 7
    assert "signature" in capsys.readouterr().err and not to.exists()


def test_a_pinned_certificate_of_another_platform_is_refused(rt, made, tmp_path, capsys, monkeypatch):
    world, _ = made
    to = tmp_path / "out"
    other = signing.ensure_keys(tmp_path / "other-platform").cert
    with serving(create_app(rt)) as url:
        monkeypatch.setenv("ACCORD_SIGNING_CERT", str(other))
        assert run("download", "sig-ds", "--to", str(to), "--server", url, "--token", world.token) == 7
        said = "".join(capsys.readouterr().err.split())  # the console wraps long lines
        assert signing.fingerprint(signing.load_cert(other.read_bytes())) in said
        assert not to.exists()
        mine = rt.settings.data_dir / "keys" / "seal.pem"
        assert (
            run(
                "download",
                "sig-ds",
                "--to",
                str(to),
                "--server",
                url,
                "--token",
                world.token,
                "--signing-cert",
                str(mine),
            )
            == 0
        )
    assert "certificate in" in capsys.readouterr().out and (to / "manifest.sig").is_file()


def test_a_dataset_with_its_own_manifest_jsonl_keeps_it_and_the_proof_goes_in_dot_accord(rt, tmp_path):
    files = {"manifest.jsonl": b"the dataset's own file\n", "img/1.jpg": os.urandom(500)}
    world = make_world(rt, tmp_path, "own-manifest", files=files)
    to = tmp_path / "out"
    with serving(create_app(rt)) as url, Client(url, world.token) as c:
        c.download("own-manifest", to=to)
    assert (to / "manifest.jsonl").read_bytes() == files["manifest.jsonl"]
    cert = rt.settings.data_dir / "keys" / "seal.pem"
    assert signing.verifies(
        (to / ".accord" / "manifest.jsonl").read_bytes(),
        (to / ".accord" / "manifest.sig").read_bytes(),
        signing.load_cert(cert.read_bytes()),
    )


def test_manifest_verify_refuses_unclear_input_with_exit_2(rt, tmp_path, capsys):
    manifest, sig, junk = tmp_path / "m.jsonl", tmp_path / "m.sig", tmp_path / "junk.pem"
    manifest.write_bytes(b"{}\n")
    sig.write_bytes(b"x")
    junk.write_bytes(b"not a certificate")
    assert run("manifest", "verify", str(manifest), str(sig), "--cert", str(junk)) == 2
    assert "not a PEM certificate" in capsys.readouterr().err
    assert run("manifest", "verify", str(manifest), str(sig), "--cert", str(junk), "--server", "http://x") == 2
    assert "not both" in capsys.readouterr().err

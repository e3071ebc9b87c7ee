"""accord export: on the server's database (--as, or the shell) and from a laptop with an API token; the files it
writes (CITATION.cff valid, the licence record and its .sig checked by openssl), and the exit code of refusals."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from accord import signing
from accord.catalog import service as catalog
from accord.cli import export as export_cli
from accord.cli import main as cli
from accord.web.app import create_app
from tests.cli import run
from tests.exports.cff import valid_cff
from tests.exports.helpers import make_world
from tests.identity.helpers import api_token
from tests.live import serving


@pytest.fixture
def world(rt, tmp_path):
    cli.use_runtime(rt)
    made = make_world(rt, tmp_path)
    yield made
    cli.use_runtime(None)


def export(*args: str) -> int:
    return run("export", "llvip", "1.0", *args)


def openssl_verifies(rt, record, sig) -> bool:
    keys = signing.platform_keys(rt.settings.data_dir)
    pem = record.parent / "accord-signing.pem"
    cert = keys.cert.read_bytes()
    pem.write_bytes(cert + signing.public_pem(signing.load_cert(cert)))  # as GET /api/v1/signing-key serves it
    command = ["openssl", "dgst", "-sha256", "-verify", pem.name, "-signature", sig.name, record.name]
    return subprocess.run(command, cwd=record.parent, capture_output=True).returncode == 0


def test_a_citation_is_printed_or_written_to_a_file(world, tmp_path, capsys):
    assert export("--format", "bibtex") == 0
    printed = capsys.readouterr().out
    assert printed.startswith("% Preferred citation") and "@misc{llvip-1.0," in printed
    out = tmp_path / "CITATION.cff"
    assert export("--format", "cff", "--out", str(out), "--as", "cy@lab.example") == 0
    valid_cff(out.read_text())
    assert capsys.readouterr().out == ""


def test_the_croissant_has_the_manifest_for_the_shell_and_licensees_only(world, capsys):
    assert export("-f", "croissant") == 0
    assert "distribution" in json.loads(capsys.readouterr().out)
    assert export("-f", "croissant", "--as", "cy@lab.example") == 0
    assert "distribution" not in json.loads(capsys.readouterr().out)
    assert export("-f", "croissant", "--as", "ana@lab.example") == 0
    assert "distribution" in json.loads(capsys.readouterr().out)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl binary")
def test_the_licence_record_and_its_signature_are_written_for_openssl(world, rt, tmp_path, capsys):
    record = tmp_path / "licence.json"
    assert export("-f", "licence-record", "--as", "ana@lab.example", "-o", str(record)) == 0
    sig = tmp_path / "licence.json.sig"
    assert json.loads(record.read_text())["licensee"]["name"] == "Ana"
    assert openssl_verifies(rt, record, sig)
    assert "openssl dgst -sha256 -verify accord-signing.pem -signature licence.json.sig licence.json" in (
        capsys.readouterr().err.replace("\n", " ")
    )
    record.write_text(record.read_text().replace('"active"', '"paused"'))
    assert not openssl_verifies(rt, record, sig)


def test_without_out_the_licence_record_is_printed_with_its_signature(world, capsys):
    assert export("-f", "licence-record", "--licensee", "ben@institute.example") == 0  # the shell: any licensee
    body = json.loads(capsys.readouterr().out)
    assert json.loads(body["record"])["licensee"]["organisation"] == "Example Institute" and body["signature"]


def test_refusals_exit_with_their_codes(world, rt, tmp_path, capsys):
    assert export("-f", "licence-record", "--as", "ben@institute.example", "--licensee", "ana@lab.example") == 4
    assert "curators only" in capsys.readouterr().err
    assert export("-f", "licence-record", "--as", "cy@lab.example") == 3
    assert export("-f", "licence-record") == 2  # the shell must say whose
    assert export("-f", "endnote") == 2
    assert "choose one of bibtex, ris, cff, croissant, licence-record" in " ".join(capsys.readouterr().err.split())
    assert export("-f", "bibtex", "--licensee", "ana@lab.example") == 2
    assert export("-f", "bibtex", "--out", str(tmp_path)) == 2
    assert run("export", "llvip", "9.9", "-f", "ris") == 3
    assert run("export", "nope", "1.0", "-f", "ris") == 3
    with rt.session() as db:
        catalog.withdraw(db, world.version_id, actor="cli", reason="superseded")
    assert export("-f", "cff") == 5
    assert "withdrawn (superseded)" in " ".join(capsys.readouterr().err.split())


@pytest.fixture
def server(rt, tmp_path, monkeypatch):
    make_world(rt, tmp_path)
    tokens = {who: api_token(rt, f"{who}@lab.example") for who in ("ana", "cy")}

    def no_database():
        raise AssertionError("a command with a token must not open a database")

    monkeypatch.setattr(export_cli, "runtime", no_database)
    cli.use_runtime(None)
    with serving(create_app(rt)) as url:
        yield url, tokens


def test_from_a_laptop_the_token_decides_what_is_exported(server, rt, tmp_path, capsys):
    url, tokens = server

    def remote(who: str, *args: str) -> int:
        return export(*args, "--server", url, "--token", tokens[who])

    assert remote("ana", "-f", "croissant") == 0
    assert "distribution" in json.loads(capsys.readouterr().out)
    assert remote("cy", "-f", "croissant") == 0
    assert "distribution" not in json.loads(capsys.readouterr().out)
    record = tmp_path / "mine.json"
    assert remote("ana", "-f", "licence-record", "-o", str(record)) == 0
    assert json.loads(record.read_text())["grant"]["status"] == "active"
    if shutil.which("openssl"):
        assert openssl_verifies(rt, record, tmp_path / "mine.json.sig")
    assert remote("cy", "-f", "licence-record", "--licensee", "ana@lab.example") == 4
    assert remote("cy", "-f", "licence-record") == 3
    assert export("-f", "bibtex", "--token", tokens["ana"], "--as", "ana@lab.example") == 2

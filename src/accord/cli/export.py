"""accord export DATASET VERSION --format bibtex|ris|cff|croissant|licence-record [--out FILE]

Citations and the Croissant description of a published version; `licence-record` is the signed record of your
access (curators: --licensee EMAIL for anyone's), written as FILE plus FILE.sig for `openssl dgst -verify`.
With --token (or ACCORD_TOKEN) over the API as yourself; without one on the server's own database with --as."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import typer

from accord.cli import remote
from accord.cli.main import actor, err, runtime
from accord.errors import InvalidInput
from accord.exports import service as exports
from accord.exports.schemas import LicenceRecordOut

FORMATS = ("bibtex", "ris", "cff", "croissant", "licence-record")
AS = typer.Option(None, "--as", help="act as this user, on the server's own database (default: the server's shell)")


def register(app: typer.Typer) -> None:
    app.command(name="export")(export)


def export(
    dataset: str = typer.Argument(..., help="the dataset's slug"),
    version: str = typer.Argument(..., help="a published version's label"),
    what: str = typer.Option(..., "--format", "-f", help="bibtex, ris, cff, croissant or licence-record"),
    out: Path | None = typer.Option(None, "--out", "-o", help="write to FILE (default: print it)"),
    licensee: str | None = typer.Option(None, "--licensee", help="licence-record, curators: whose (e-mail)"),
    as_: str | None = AS,
    server: str | None = remote.SERVER,
    token: str | None = remote.TOKEN,
) -> None:
    """Export a published version: its citation, its Croissant description or your signed licence record."""
    if what not in FORMATS:
        raise InvalidInput(f"no export called {what!r}; choose one of {', '.join(FORMATS)}", field="format")
    if out is not None and out.is_dir():
        raise InvalidInput(f"{out} is a folder; give a file name to write to", field="out")
    if what == "licence-record":
        body = _record(dataset, version, licensee, as_, server, token)
        _licence_files(body, out)
        return
    if licensee:
        raise InvalidInput("--licensee goes with --format licence-record only", field="licensee")
    _write(_document(dataset, version, what, as_, server, token), out)


def _document(dataset: str, version: str, what: str, as_, server, token) -> bytes:
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            return client.export(dataset, version, what)
    rt = runtime()
    with rt.session() as db:
        doc = exports.export(db, dataset, version, what, actor=actor(db, as_), base_url=rt.settings.base_url)
    return doc.body


def _record(dataset: str, version: str, licensee, as_, server, token) -> LicenceRecordOut:
    if remote.wanted(server, token, as_):
        with remote.connect(server, token) as client:
            params = {"licensee": licensee} if licensee else {}
            return LicenceRecordOut.model_validate_json(client.export(dataset, version, "licence-record", **params))
    rt = runtime()
    with rt.session() as db:
        return exports.licence_record(rt, db, dataset, version, actor=actor(db, as_), licensee=licensee)


def _licence_files(body: LicenceRecordOut, out: Path | None) -> None:
    """FILE (the record's exact bytes) and FILE.sig (the DER signature); without --out, the JSON answer."""
    if out is None:
        _write((body.model_dump_json(indent=2) + "\n").encode(), None)
        return
    sig = out.with_name(out.name + ".sig")
    _write(body.record.encode(), out)
    _write(base64.b64decode(body.signature), sig)
    err.print(
        f"wrote {out} and {sig}; check them with the platform certificate ({body.certificate_url}, "
        f"fingerprint {body.certificate_fingerprint}):\n"
        f"  openssl dgst -sha256 -verify accord-signing.pem -signature {sig.name} {out.name}",
        highlight=False,
        soft_wrap=True,
    )


def _write(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise InvalidInput(f"cannot write {out}: {exc.strerror}", field="out") from None

"""accord agreement verify: a signed application's sealed PDF verifies offline; an edited one, one sealed by
someone else, or something that is not an agreement does not, each with its own exit code."""
import pytest

from accord.access import sealing
from accord.access import service as access
from accord.cli import main as cli
from tests.access.helpers import answers, dataset_with_terms, person
from tests.cli import run


@pytest.fixture
def signed_pdf(rt, tmp_path):
    """The sealed agreement of an AT-USTC application signed through the service, as a file."""
    cli.use_runtime(rt)
    dataset_with_terms(rt, tmp_path, "at-ustc")
    with rt.session() as db:
        ana = person(db, "ana@mit.edu")
        record = access.start(db, "at-ustc", actor=ana, answers=answers("at-ustc", "ana@mit.edu"))
        access.sign(rt, db, record.id, actor=ana, full_name="Ana Lima", consent=True)
        pdf = access.agreement_pdf(rt, db, record.id, viewer=ana)
    path = tmp_path / "agreement.pdf"
    path.write_bytes(pdf)
    yield path
    cli.use_runtime(None)


def test_a_signed_agreement_verifies_against_this_servers_certificate(signed_pdf, capsys):
    assert run("agreement", "verify", str(signed_pdf)) == 0
    assert "valid" in capsys.readouterr().out


def test_the_certificate_can_be_given_as_a_file(rt, signed_pdf, capsys):
    cert = rt.settings.data_dir / "keys" / "seal.pem"
    assert run("agreement", "verify", str(signed_pdf), "--cert", str(cert)) == 0


def test_an_edited_agreement_fails_with_exit_1(signed_pdf, capsys):
    data = bytearray(signed_pdf.read_bytes())
    at = data.find(b"Ana Lima")
    data[at] ^= 0x01
    signed_pdf.write_bytes(bytes(data))
    assert run("agreement", "verify", str(signed_pdf)) == 1
    assert "not valid" in capsys.readouterr().err


def test_an_agreement_sealed_by_another_platform_fails(signed_pdf, tmp_path, capsys):
    other = sealing.ensure_keys(tmp_path / "other")
    assert run("agreement", "verify", str(signed_pdf), "--cert", str(other.cert)) == 1
    assert "not made with this platform's certificate" in capsys.readouterr().err


def test_a_missing_file_or_a_non_pdf_is_invalid_input(tmp_path, signed_pdf, capsys):
    assert run("agreement", "verify", str(tmp_path / "nope.pdf")) == 2
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert run("agreement", "verify", str(text)) == 2
    assert "not a PDF" in capsys.readouterr().err


def test_without_a_certificate_here_it_asks_for_one(signed_pdf, tmp_path, monkeypatch, capsys):
    from accord.config import Settings
    from accord.runtime import build

    bare = build(Settings(data_dir=tmp_path / "laptop", secret_key="x" * 32))
    cli.use_runtime(bare)
    assert run("agreement", "verify", str(signed_pdf)) == 3
    assert "--cert" in capsys.readouterr().err
    bare.engine.dispose()

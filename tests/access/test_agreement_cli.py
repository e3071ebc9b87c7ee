"""accord agreement verify: a signed application's sealed PDF verifies offline; an edited one, one sealed by
someone else, or something that is not an agreement does not, each with its own exit code."""

import os
import subprocess
import sys
from pathlib import Path

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


def accord_command(*args: str, extra_env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """`accord ...` in a new process, so warnings printed while pyHanko is first imported show."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS" and not k.startswith("ACCORD_")}
    env.update(extra_env or {})
    return subprocess.run(
        [str(Path(sys.executable).with_name("accord")), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        **kw,
    )


def test_verifying_an_agreement_in_a_new_process_prints_no_warning(rt, signed_pdf):
    cert = rt.settings.data_dir / "keys" / "seal.pem"
    done = accord_command("agreement", "verify", str(signed_pdf), "--cert", str(cert))
    assert done.returncode == 0, done.stderr
    assert "valid" in done.stdout
    assert "Warning" not in done.stderr and "deprecated" not in done.stderr.lower(), done.stderr


def test_sealing_in_a_new_process_prints_no_warning_but_other_warnings_still_show(tmp_path):
    script = (
        "import warnings\n"
        "from accord.access import sealing\n"
        "from pathlib import Path\n"
        "from accord.access.agreement import Agreement, render_pdf\n"
        f"keys = sealing.ensure_keys(Path({str(tmp_path)!r}))\n"
        "doc = Agreement('T', 't', 'C', 1, [], [('E-mail', 'a@b.org')], 'a@b.org')\n"
        "assert sealing.seal(render_pdf(doc), keys).startswith(b'%PDF-')\n"
        "warnings.warn('still shown', DeprecationWarning)\n"
    )
    done = subprocess.run([sys.executable, "-W", "default", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "CryptographyDeprecationWarning" not in done.stderr, done.stderr
    assert "still shown" in done.stderr  # only that one warning is filtered, not all of them


def test_applying_and_signing_from_a_new_process_prints_no_warning(rt, tmp_path):
    """`accord apply --sign` seals the agreement (pyHanko's first import) against the same database."""
    import yaml

    dataset_with_terms(rt, tmp_path, "at-ustc")
    with rt.session() as db:
        person(db, "ana@mit.edu")
    answers_path = tmp_path / "answers.yaml"
    answers_path.write_text(yaml.safe_dump(answers("at-ustc", "ana@mit.edu")))
    env = {
        "ACCORD_DATA_DIR": str(rt.settings.data_dir),
        "ACCORD_SECRET_KEY": rt.settings.secret_key.get_secret_value(),
        "ACCORD_JOBS_IMMEDIATE": "true",
        "ACCORD_BASE_URL": rt.settings.base_url,
    }
    done = accord_command(
        "apply",
        "at-ustc",
        "--answers",
        str(answers_path),
        "--sign",
        "Ana Lima",
        "--agree",
        "--as",
        "ana@mit.edu",
        extra_env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr and "deprecated" not in done.stderr.lower(), done.stderr

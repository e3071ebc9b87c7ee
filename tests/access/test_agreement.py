import subprocess
import sys
from datetime import UTC, datetime

import pytest

from accord.access import sealing
from accord.access.agreement import Agreement, Signature, render_pdf
from accord.policy.clauses import clauses
from accord.policy.io import seed

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def agreement(**over):
    values = {
        "dataset_title": "CION-AL",
        "dataset_slug": "cion-al",
        "custodian": "HUST",
        "policy_version": 1,
        "clauses": clauses(seed("cion-al"), custodian="HUST", dataset="CION-AL"),
        "answers": [("Full name", "Wei Zhang 张伟"), ("Organisation", "Example University")],
        "applicant_email": "wei@uni.example",
        "signatory": {"name": "R. Lee", "title": "Director"},
    }
    values.update(over)
    return Agreement(**values)


def test_the_same_agreement_renders_to_the_same_bytes():
    assert render_pdf(agreement()) == render_pdf(agreement())


def test_the_hash_changes_when_a_clause_or_an_answer_changes():
    base = agreement()
    assert agreement(answers=[("Full name", "Someone else")]).sha256 != base.sha256
    assert agreement(policy_version=2).sha256 != base.sha256


def test_the_pdf_prints_the_hash_and_signature():
    pdf = render_pdf(agreement(), signatures=[Signature("Wei Zhang", AT)])
    assert pdf.startswith(b"%PDF-") and len(pdf) > 2000


@pytest.fixture
def keys(tmp_path):
    return sealing.ensure_keys(tmp_path / "keys")


def test_a_sealed_agreement_verifies(keys):
    sealed = sealing.seal(render_pdf(agreement(), signatures=[Signature("Wei Zhang", AT)]), keys)
    check = sealing.verify(sealed, keys.cert)
    assert check.ok, check.reason


def test_pyhankos_own_validator_accepts_the_seal(keys, tmp_path):
    path = tmp_path / "signed.pdf"
    path.write_bytes(sealing.seal(render_pdf(agreement()), keys))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pyhanko",
            "sign",
            "validate",
            "--pretty-print",
            "--trust",
            str(keys.cert),
            "--trust-replace",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "judged VALID" in result.stdout and "covers the entire file" in result.stdout


def test_editing_one_byte_breaks_the_seal(keys):
    sealed = bytearray(sealing.seal(render_pdf(agreement()), keys))
    at = sealed.find(b"Wei Zhang")
    if at < 0:  # text may be compressed: flip a byte in the first content stream instead
        at = sealed.find(b"stream") + 20
    sealed[at] ^= 0x01
    assert not sealing.verify(bytes(sealed), keys.cert).ok


def test_appending_an_update_after_sealing_is_detected(keys):
    from io import BytesIO

    from pyhanko.pdf_utils.generic import TextStringObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    sealed = sealing.seal(render_pdf(agreement()), keys)
    writer = IncrementalPdfFileWriter(BytesIO(sealed))
    writer.root["/Lang"] = TextStringObject("xx")
    writer.update_root()
    out = BytesIO()
    writer.write(out)
    check = sealing.verify(out.getvalue(), keys.cert)
    assert not check.ok and "after it was sealed" in check.reason


def test_a_seal_from_another_certificate_is_refused(keys, tmp_path):
    other = sealing.ensure_keys(tmp_path / "other")
    sealed = sealing.seal(render_pdf(agreement()), other)
    check = sealing.verify(sealed, keys.cert)
    assert not check.ok and "certificate" in check.reason


def test_an_unsealed_or_garbage_file_is_refused(keys):
    assert "no Accord seal" in sealing.verify(render_pdf(agreement()), keys.cert).reason
    assert not sealing.verify(b"%PDF-1.7 garbage", keys.cert).ok

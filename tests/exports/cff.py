"""cffconvert, the Citation File Format's own validator, in a virtualenv of its own: it pins jsonschema below 4,
which moto's server (jsonschema 4) cannot share, so it is kept out of the test venv and installed here from the
package index once (into .venv-tools/, beside .venv)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / ".venv-tools" / "cffconvert"
VERSION = "2.0.0"


@cache
def command() -> Path:
    exe = TOOL / "bin" / "cffconvert"
    stamp = TOOL / f".installed-{VERSION}"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(TOOL)], check=True)
        pip = [str(TOOL / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        done = subprocess.run([*pip, f"cffconvert=={VERSION}"], capture_output=True, text=True)
        assert done.returncode == 0, f"could not install cffconvert into {TOOL}:\n{done.stderr[-3000:]}"
        stamp.touch()
    return exe


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(command()), "--validate", "-i", str(path)], capture_output=True, text=True)


def valid_cff(text: str) -> dict:
    """The file's contents, once cffconvert has validated them (the test fails with its reason otherwise)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "CITATION.cff"
        path.write_text(text, encoding="utf-8")
        done = check(path)
    assert done.returncode == 0, f"cffconvert refused it:\n{done.stdout}{done.stderr}\n---\n{text}"
    return yaml.safe_load(text)

"""The code is linted and formatted as pyproject.toml configures ruff (issue 11 §6): both report nothing."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize("command", [("check", "."), ("format", "--check", ".")], ids=["check", "format"])
def test_ruff_finds_nothing(command):
    done = _ruff(*command, "--no-cache")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_the_rule_set_is_pinned_in_pyproject():
    # A newer ruff's defaults must not move the bar: the selection is explicit and B008 is the only Bugbear rule off.
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert {"E", "F", "I", "B", "UP"} <= set(lint["select"])
    assert not [rule for rule in lint["ignore"] if rule.startswith("B") and rule != "B008"]

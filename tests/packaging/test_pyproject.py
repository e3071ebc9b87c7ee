"""Building the project prints no deprecation from the build backend, and the wheel says its licence in SPDX."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_builds_without_deprecations_and_declares_an_spdx_licence(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr
    output = run.stdout + run.stderr
    assert "deprecated" not in output.lower(), output
    wheel = next(tmp_path.glob("accord-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        metadata = zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in metadata
    assert "License-File: LICENSE" in metadata
    assert (ROOT / "LICENSE").read_text().lstrip().startswith("Apache License")

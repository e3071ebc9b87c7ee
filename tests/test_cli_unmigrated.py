"""`accord` run against a data folder nobody migrated (say, from another directory, where a new ./var appears)
says so and what to do, with an exit code, instead of a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_a_command_on_an_unmigrated_database_says_what_to_do(tmp_path):
    env = {**os.environ, "ACCORD_DATA_DIR": str(tmp_path / "empty")}
    env.pop("ACCORD_DATABASE_URL", None)
    accord = Path(sys.executable).parent / "accord"
    done = subprocess.run([str(accord), "dataset", "list"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    said = " ".join(done.stderr.split())  # rich wraps at the terminal's width
    assert "has no tables yet" in said and "accord db upgrade" in said
    assert "Traceback" not in done.stderr

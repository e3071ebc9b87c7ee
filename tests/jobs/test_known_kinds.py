"""A process that has not built its queue (a web worker of granian's) still knows every domain's job kinds."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_fresh_process_knows_the_privacy_photo_search_before_its_queue_is_built():
    code = (
        "from accord.jobs import queue\n"
        "assert 'privacy_photo_search' not in queue.TASKS\n"  # nothing imported the privacy jobs yet
        "assert queue.known('privacy_photo_search') and queue.known('privacy_index')\n"
        "assert not queue.known('no_such_kind')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={"PYTHONPATH": str(ROOT / "src")}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr

"""The long schemathesis run: tests/test_api_contract.py with many examples per operation, random (not the
suite's fixed seed), anonymously and with an applicant's token. Prints, per caller, the requests sent, the
answers with a 5xx status and the failures (every 5xx is also a failure: schemathesis's not_a_server_error).

    .venv/bin/python bench/api_contract.py [EXAMPLES] [--callers anonymous,applicant,admin] [--quick] [-- ARGS]

ARGS go to pytest, e.g. `-- -k sequences` for the stateful phase alone. Figures of runs: bench/README.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    argv, extra = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    numbers = [a for a in argv if a.isdigit()]
    examples = 50 if "--quick" in argv else int(numbers[0]) if numbers else 500
    callers = argv[argv.index("--callers") + 1] if "--callers" in argv else "anonymous,applicant"
    with tempfile.NamedTemporaryFile("r", suffix=".count") as counts:
        env = {
            **os.environ,
            "SCHEMATHESIS_EXAMPLES": str(examples),
            "SCHEMATHESIS_STEPS": "10",
            "SCHEMATHESIS_RANDOM": "1",
            "SCHEMATHESIS_CALLERS": callers,
            "SCHEMATHESIS_COUNT_TO": counts.name,
        }
        started = time.monotonic()
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/test_api_contract.py",
                "-q",
                "-p",
                "no:cacheprovider",
                "-o",
                "timeout=0",
                *extra,
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.monotonic() - started
        sent: dict[str, dict[str, int]] = {}
        for line in counts.read().splitlines():
            name, what, count = line.split()
            sent.setdefault(name, {"requests": 0, "5xx": 0})[what] += int(count)
    tail = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
    print(run.stdout[-20000:] if run.returncode else "")
    print(f"schemathesis: {examples} examples per operation, {seconds:.0f} s; pytest says: {tail}")
    for name in callers.split(","):
        failed = len(re.findall(rf"^(?:SUB)?FAILED \S+\[{re.escape(name)}[\]-]", run.stdout, re.MULTILINE))
        counts = sent.get(name, {"requests": 0, "5xx": 0})
        print(f"  {name}: {counts['requests']} requests, {counts['5xx']} with 5xx, {failed} failed tests")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

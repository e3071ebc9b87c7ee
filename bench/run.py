"""Run every benchmark in this folder, one after the other: `make bench`.

Each benchmark measures its own baseline in the same run and prints the ratio; arguments after `--` go to
every benchmark (e.g. `make bench BENCH_ARGS="--quick"` where a benchmark supports it).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
SKIP = {"run.py", "anonymise_job.py"}  # anonymise.py runs anonymise_job.py itself


def main(argv: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name not in SKIP and not p.name.startswith("_"))
    failed = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        if subprocess.run([sys.executable, str(script), *argv]).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

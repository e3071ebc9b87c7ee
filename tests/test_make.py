"""The README's `make test` brings the browser the e2e tests need, or stops with the line that installs it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALL_LINE = "sudo apt-get install -y chromium chromium-driver"


def make(*args):
    return subprocess.run(["make", "-s", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=60)


def test_a_missing_browser_that_cannot_be_installed_stops_with_the_install_line():
    run = make("browser", "CHROMIUM=/nonexistent/chromium", "APT_GET=/nonexistent/apt-get")
    assert run.returncode != 0
    assert INSTALL_LINE in run.stderr and "/nonexistent/chromium" in run.stderr


def test_a_present_browser_passes_quietly():
    run = make("browser", f"CHROMIUM={sys.executable}")
    assert run.returncode == 0 and run.stdout == run.stderr == ""


def test_make_test_checks_the_browser_before_running_pytest():
    plan = make("-n", "test", "CHROMIUM=/nonexistent/chromium").stdout
    assert "apt-get" in plan and "pytest" in plan and plan.index("apt-get") < plan.index("pytest")


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    assert "make test" in (ROOT / "README.md").read_text()


def test_the_whole_suite_measures_coverage_and_a_chosen_subset_does_not():
    assert "--cov" in make("-n", "test", f"CHROMIUM={sys.executable}").stdout
    assert "--cov" not in make("-n", "test", f"CHROMIUM={sys.executable}", "PYTEST_ARGS=tests/x.py").stdout

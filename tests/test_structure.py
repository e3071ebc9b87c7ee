"""The code's structure holds: the import-linter contracts in pyproject.toml, and the hooks that let later domains
plug into earlier ones (accord.plugins) all resolve."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from accord import plugins
from accord.access import requirements

ROOT = Path(__file__).resolve().parents[1]


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("hook", sorted(plugins.HOOKS))
def test_every_hook_target_resolves(hook):
    found = plugins.provided(hook)
    assert len(found) == len(plugins.HOOKS[hook])


def test_requirements_follow_the_protocol():
    for requirement in requirements.registered():
        for method in ("applies", "still_needed", "before_submit", "met", "before_approval", "stages"):
            assert callable(getattr(requirement, method)), (requirement, method)
        assert requirement.name.isidentifier()


def test_every_domain_job_is_on_the_queue(rt):
    """Each domain registers its own jobs (accord.plugins "jobs"); the queue knows none of them by name."""
    names = {name.rsplit(".", 1)[-1] for name in rt.huey._registry._registry}
    assert names == {
        "ingest",
        "send_mail",
        "access_expiry",
        "training_expiry",
        "review_escalation",
        "review_digest",
        "audit_checkpoint",
        "audit_checkpoint_mail",
        "removal_escalation",
        "deletion_reminders",
        "privacy_index",
        "privacy_index_pending",
        "privacy_photo_search",
        "privacy_anonymise",
        "publications_asked",
    }


DOMAINS = [
    "access",
    "audit",
    "catalog",
    "delivery",
    "entitlements",
    "exports",
    "identity",
    "insights",
    "jobs",
    "notify",
    "obligations",
    "policy",
    "privacy",
    "training",
]
PUBLIC = {"__init__", "service", "models", "schema", "schemas", "jobs"}


def test_each_domain_door_contract_lists_every_private_module():
    """A module added to a domain is private unless it is the door, the tables, the value types or the jobs: the
    domain's `protected` contract must list it (`tools/door_contracts.py` writes the lists)."""
    import tomllib

    contracts = {
        c["id"]: c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    }
    for domain in DOMAINS:
        public = PUBLIC | ({"queue"} if domain == "jobs" else set())
        private = sorted(
            f"accord.{domain}.{p.stem}" for p in (ROOT / "src/accord" / domain).glob("*.py") if p.stem not in public
        )
        listed = sorted(contracts[f"{domain}-door"]["protected_modules"]) if f"{domain}-door" in contracts else []
        assert listed == private, (domain, set(private) ^ set(listed))


MAX_LINES = 400  # CONTRIBUTING.md: modules under 400 lines


def test_every_module_is_under_400_lines():
    """Split a module that grows past it by job (a private sibling module, re-exported by the door where other
    code needs it); Alembic revisions are exempt."""
    src = ROOT / "src" / "accord"
    versions = src / "migrations" / "versions"
    counts = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(src.rglob("*.py"))
        if versions not in path.parents
    }
    assert len(counts) > 100  # the walk found the tree
    too_long = {path: n for path, n in counts.items() if n >= MAX_LINES}
    assert not too_long, f"modules of {MAX_LINES} lines or more: " + ", ".join(
        f"{path} ({n})" for path, n in sorted(too_long.items(), key=lambda item: -item[1])
    )

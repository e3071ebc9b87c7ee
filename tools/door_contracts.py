#!/usr/bin/env python3
"""Write one import-linter `protected` contract per domain into pyproject.toml (between markers): every module
of the domain but its public ones may be imported only from inside the domain."""

import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
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
    "record",
    "training",
]
PUBLIC = {"__init__", "service", "models", "schema", "schemas", "jobs"}
EXTRA_PUBLIC = {"jobs": {"queue"}}  # the queue is how every domain registers its jobs
blocks = []
for d in DOMAINS:
    mods = sorted(
        p.stem for p in (root / "src/accord" / d).glob("*.py") if p.stem not in PUBLIC | EXTRA_PUBLIC.get(d, set())
    )
    if not mods:
        continue
    listed = ",\n".join(f'    "accord.{d}.{m}"' for m in mods)
    blocks.append(f'''[[tool.importlinter.contracts]]
id = "{d}-door"
name = "Outside {d}, only its door (service) and its models, schemas and jobs are imported"
type = "protected"
protected_modules = [
{listed},
]
allowed_importers = ["accord.{d}"]
''')
text = (root / "pyproject.toml").read_text()
start, end = (
    "# --- doors (written by the list of each domain's modules; tests/test_structure.py checks it) ---\n",
    "# --- end of doors ---\n",
)
body = start + "\n".join(blocks) + end
if start in text:
    a = text.index(start)
    b = text.index(end) + len(end)
    text = text[:a] + body + text[b:]
else:
    text = text.rstrip() + "\n\n" + body
(root / "pyproject.toml").write_text(text)

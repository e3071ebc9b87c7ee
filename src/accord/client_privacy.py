"""A licensee's side of a deletion notice, on their own machine: delete the notice's files from a local copy made
with `accord download`, check by hash that none is left (renamed copies included), and keep the folder's record
straight, so that attesting is a statement of fact.

    report = apply_notice(Path("data/llvip"), notice["files"])
    report.deleted, report.copies, report.absent       # what was deleted, which other copies, what was not there

The signed manifest that came with the download no longer describes the folder afterwards: it moves to
.accord/superseded/ (kept as proof of what was delivered), manifest.jsonl and SHA256SUMS are rewritten without the
deleted files, and .accord/deletions.jsonl records what was deleted, when, for which notice.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from accord.client import PROOF_MANIFEST, PROOF_SIGNATURE, ClientError, safe_target, sha256_of, write_sums

PROOF_DIR = ".accord"


@dataclass
class Applied:
    deleted: list[str] = field(default_factory=list)  # listed files found and deleted
    copies: list[str] = field(default_factory=list)  # other files with a removed file's content, deleted too
    absent: list[str] = field(default_factory=list)  # listed files not in the folder
    differ: list[str] = field(default_factory=list)  # a listed path whose content is another file's: left alone
    checked: int = 0  # files hashed in the search for copies

    @property
    def removed(self) -> int:
        return len(self.deleted) + len(self.copies)


def apply_notice(
    root: Path,
    files: list[dict],
    *,
    notice_id: int | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Applied:
    """Delete `files` ({"path", "sha256", "size"?}) from the copy at `root`; raise ClientError if a file with a
    removed hash is still there afterwards. With dry_run, delete nothing and say what would go."""
    if not root.is_dir():
        raise ClientError(f"{root} is not a folder; give the folder `accord download` wrote the dataset to")
    removed = {f["sha256"] for f in files}
    sizes = {f.get("size") for f in files}
    report = Applied()
    doomed: list[Path] = []
    for f in files:
        target = safe_target(root, f["path"])
        if not target.is_file():
            report.absent.append(f["path"])
        elif sha256_of(target) == f["sha256"]:
            report.deleted.append(f["path"])
            doomed.append(target)
        else:
            report.differ.append(f["path"])
    listed = set(doomed)
    for path in _candidates(root, None if None in sizes else sizes):
        report.checked += 1
        if progress:
            progress(1)
        if path not in listed and sha256_of(path) in removed:
            report.copies.append(path.relative_to(root).as_posix())
            doomed.append(path)
    if dry_run:
        return report
    for path in doomed:
        path.unlink()
        _prune(path.parent, root)
    left = [p for p in _candidates(root, None if None in sizes else sizes) if sha256_of(p) in removed]
    if left:
        raise ClientError(f"{len(left)} file(s) with removed content are still there, e.g. {left[0]}; nothing attested")
    _rewrite_record(root, removed, report, notice_id)
    return report


def _candidates(root: Path, sizes: set | None):
    """Every file under root (the proof folder aside) that could hold a removed file: of a listed size."""
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not (Path(folder) == root and d == PROOF_DIR)]
        for name in names:
            path = Path(folder) / name
            if Path(folder) == root and name in (PROOF_MANIFEST, PROOF_SIGNATURE, "SHA256SUMS"):
                continue
            if path.is_file() and not path.is_symlink() and (sizes is None or path.stat().st_size in sizes):
                yield path


def _prune(folder: Path, root: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def _rewrite_record(root: Path, removed: set[str], report: Applied, notice_id: int | None) -> None:
    proof = root / PROOF_DIR
    manifest = next((p for p in (root / PROOF_MANIFEST, proof / PROOF_MANIFEST) if p.is_file()), None)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if manifest is not None:
        lines = manifest.read_bytes().decode().splitlines()
        kept = [line for line in lines if line.strip() and json.loads(line)["sha256"] not in removed]
        superseded = proof / "superseded"
        superseded.mkdir(parents=True, exist_ok=True)
        os.replace(manifest, superseded / f"{stamp}-{PROOF_MANIFEST}")
        signature = manifest.with_name(PROOF_SIGNATURE)
        if signature.is_file():
            os.replace(signature, superseded / f"{stamp}-{PROOF_SIGNATURE}")
        body = "".join(f"{line}\n" for line in kept).encode()
        manifest.write_bytes(body)
        write_sums(root, body)
    proof.mkdir(exist_ok=True)
    entry = {"at": stamp, "notice": notice_id, "deleted": report.deleted, "copies": report.copies}
    with open(proof / "deletions.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")

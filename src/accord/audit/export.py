"""The audit log as JSON Lines that someone outside Accord can check offline (`check`, `accord audit check`).

The lines, in order:
- a header: the format, what was asked for, the platform certificate (PEM) and its fingerprint, how many events
  follow and their positions in the chain (the first event is position 1);
- the stored signed checkpoints whose position lies in that range, each document as it was signed;
- the events in chain order, each with every field its hash is made of, its position, its hash and the hash
  before it;
- an end line with the number of events, so an export cut short says so.

What a check proves: each event's hash is recomputed from its fields (an edited line fails); an event at the
position right after another must carry that one's hash (a line removed, reordered or rewritten with a fresh
hash fails); a checkpoint's signature must verify with the platform certificate, and where the export holds the
event at its position, that event's hash must be the signed one, which then vouches for every exported event
in the unbroken run up to it. A filtered export (one dataset, one actor) has gaps: every event in it is still
checked against its own hash, but what lies in a gap is not in the file, so only unbroken runs that reach a
checkpoint are vouched for. Events after the newest checkpoint are vouched for by none yet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography import x509
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from accord import signing
from accord.audit import checkpoints
from accord.audit.browse import Filters, Scope, conditions
from accord.audit.chain import GENESIS, dataset_of, event_hash
from accord.audit.models import AuditEvent
from accord.db import utcnow
from accord.errors import InvalidInput

if TYPE_CHECKING:
    from accord.runtime import Runtime

FORMAT = "accord-audit-export/1"
HASH_RULE = (
    "sha256 (hex) of the JSON array [prev_hash, at, actor_id, actor, action, object_type, object_id, data] "
    "with sorted keys and no spaces"
)
EVENT_FIELDS = ("at", "actor_id", "actor", "action", "object_type", "object_id", "data", "prev_hash", "hash")


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str) + "\n"


def _asked(scope: Scope, wanted: Filters) -> dict[str, Any]:
    return {
        "actor": wanted.actor or None,
        "action": wanted.action or None,
        "dataset_id": wanted.dataset_id,
        "since": wanted.since.isoformat() if wanted.since else None,
        "until": wanted.until.isoformat() if wanted.until else None,
        "scope": "everything"
        if scope.everything
        else ("any dataset" if scope.datasets is None else sorted(scope.datasets)),
    }


def lines(rt: Runtime, scope: Scope, wanted: Filters, *, now: datetime | None = None) -> Iterator[str]:
    """The export, line by line, read in batches from a session of its own (a streamed answer outlives the
    request's session). A filter outside the scope is refused here, before the first line. The range is fixed
    by the first query: events appended meanwhile are left out."""
    numbered = select(AuditEvent, func.row_number().over(order_by=AuditEvent.id).label("position")).subquery()
    ev = aliased(AuditEvent, numbered)
    return _stream(rt, ev, numbered.c.position, conditions(ev, scope, wanted), _asked(scope, wanted), now or utcnow())


def _stream(
    rt: Runtime, ev: Any, position: Any, where: list[Any], asked: dict[str, Any], now: datetime
) -> Iterator[str]:
    pem = signing.platform_keys(rt.settings.data_dir).cert.read_bytes()
    cert = signing.load_cert(pem)
    with rt.session() as db:
        count, first, last, last_id = db.execute(
            select(func.count(), func.min(position), func.max(position), func.max(ev.id)).where(*where)
        ).one()
        covering = [s for s in checkpoints.stored(rt) if s.checkpoint and count and first <= s.checkpoint.count <= last]
        yield _line(
            {
                "type": "header",
                "format": FORMAT,
                "exported_at": now.isoformat(),
                "asked": asked,
                "events": count,
                "first_position": first,
                "last_position": last,
                "contiguous": bool(count) and last - first + 1 == count,
                "checkpoints": len(covering),
                "hash": HASH_RULE,
                "certificate": pem.decode(),
                "key": signing.fingerprint(cert),
            }
        )
        for s in covering:
            yield _line({"type": "checkpoint", "name": s.name, "document": json.loads(s.raw)})
        if count:
            rows = db.execute(
                select(ev, position).where(*where, ev.id <= last_id).order_by(ev.id).execution_options(yield_per=500)
            )
            for event, n in rows:
                yield _line(
                    {
                        "type": "event",
                        "position": n,
                        "id": event.id,
                        "at": event.at.isoformat(timespec="microseconds"),
                        "actor_id": event.actor_id,
                        "actor": event.actor,
                        "action": event.action,
                        "object_type": event.object_type,
                        "object_id": event.object_id,
                        "data": event.data,
                        "dataset_id": event.dataset_id,
                        "prev_hash": event.prev_hash,
                        "hash": event.hash,
                    }
                )
        yield _line({"type": "end", "events": count})


@dataclass
class Checked:
    events: int = 0
    runs: int = 0  # unbroken stretches of the chain in the file
    checkpoints: int = 0  # signed checkpoints matched with the exported event at their position
    unmatched: int = 0  # checkpoints whose event the (filtered) file does not hold
    vouched: int = 0  # events a matched checkpoint vouches for
    certificate: str = ""  # the fingerprint the signatures were checked with
    own_certificate: bool = False  # it came from the file itself: compare it with the platform's published one
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Walk:
    """Where the check is in the events: the last one seen, where its unbroken run began, what is vouched."""

    position: int = 0
    hash: str = ""
    run_start: int = 0
    vouched_to: int = 0


def check(source: Iterable[str | bytes], *, cert: x509.Certificate | None = None) -> Checked:
    """Check an export offline; `cert` is the platform certificate obtained on its own (without it, the one the
    file carries, which proves the file consistent but not who wrote it)."""
    done, walk, signed = Checked(), _Walk(), dict[int, checkpoints.Checkpoint]()
    header: dict[str, Any] | None = None
    end: dict[str, Any] | None = None
    for n, raw in enumerate(source, 1):
        text = raw.decode() if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            kind = line["type"]
        except (ValueError, KeyError, TypeError):
            done.problems.append(f"line {n}: not a line of an audit export")
            continue
        if end is not None:
            done.problems.append(f"line {n}: found after the end line")
        elif header is None:
            if kind != "header" or line.get("format") != FORMAT:
                done.problems.append(f"line {n}: not an {FORMAT} header; nothing else was checked")
                return done
            header, cert = line, cert or _own(line, done)
            done.certificate = signing.fingerprint(cert) if cert else ""
        elif kind == "checkpoint":
            _checkpoint(n, line, cert, walk, signed, done)
        elif kind == "event":
            _event(n, line, walk, signed, done, contiguous=bool(header.get("contiguous")))
        elif kind == "end":
            end = line
        else:
            done.problems.append(f"line {n}: unknown line type {kind!r}")
    if header is None:
        done.problems.append("the file is empty")
    elif end is None:
        done.problems.append("the file has no end line: it was cut short")
    elif end.get("events") != done.events or header.get("events") != done.events:
        done.problems.append(f"the file holds {done.events} events; its header and end line say otherwise")
    done.unmatched = len(signed)
    return done


def _own(header: dict[str, Any], done: Checked) -> x509.Certificate | None:
    try:
        cert = signing.load_cert(str(header.get("certificate", "")).encode())
    except InvalidInput:
        done.problems.append("the header's certificate cannot be read, and none was given")
        return None
    done.own_certificate = True
    return cert


def _checkpoint(
    n: int,
    line: dict[str, Any],
    cert: x509.Certificate | None,
    walk: _Walk,
    signed: dict[int, checkpoints.Checkpoint],
    done: Checked,
) -> None:
    if walk.position:
        done.problems.append(f"line {n}: checkpoints come before the events")
        return
    if cert is None:
        return
    name = str(line.get("name", f"line {n}"))
    stored = checkpoints.parse(name, json.dumps(line.get("document")).encode(), cert)
    if stored.problem or stored.checkpoint is None:
        done.problems.append(f"checkpoint {name}: {stored.problem}")
    else:
        signed[stored.checkpoint.count] = stored.checkpoint


def _event(
    n: int,
    line: dict[str, Any],
    walk: _Walk,
    signed: dict[int, checkpoints.Checkpoint],
    done: Checked,
    *,
    contiguous: bool,
) -> None:
    try:
        position, values = int(line["position"]), {k: line[k] for k in EVENT_FIELDS}
        at = datetime.fromisoformat(values["at"])
        if not isinstance(values["data"], dict):
            raise TypeError("data")
        recomputed = event_hash(
            values["prev_hash"],
            at,
            values["actor_id"],
            values["actor"],
            values["action"],
            values["object_type"],
            values["object_id"],
            values["data"],
        )
    except (KeyError, TypeError, ValueError):
        done.problems.append(f"line {n}: an event line without all of its fields")
        return
    done.events += 1
    label = f"line {n} (event {line.get('id')}, position {position})"
    if recomputed != values["hash"]:
        done.problems.append(f"{label}: its fields do not give its hash: the event was edited")
    named = dataset_of(values["object_type"], values["object_id"], values["data"])
    if named is not None and named != line.get("dataset_id"):
        done.problems.append(f"{label}: its dataset_id is not the dataset its hashed fields name")
    _link(label, position, values["prev_hash"], walk, done, contiguous=contiguous)
    walk.position, walk.hash = position, values["hash"]
    cp = signed.pop(position, None)
    if cp is not None:
        if cp.hash != values["hash"]:
            done.problems.append(f"{label}: the checkpoint signed another hash at this position: rewritten")
        else:
            done.checkpoints += 1
            done.vouched += position - max(walk.run_start, walk.vouched_to + 1) + 1
            walk.vouched_to = position


def _link(label: str, position: int, prev_hash: str, walk: _Walk, done: Checked, *, contiguous: bool) -> None:
    """Does this event follow the one before it in the file, as the chain says it must?"""
    if walk.position and position <= walk.position:
        done.problems.append(f"{label}: out of order (after position {walk.position})")
    elif walk.position and position == walk.position + 1:
        if prev_hash != walk.hash:
            done.problems.append(f"{label}: it does not carry the hash of the event before it: the chain is broken")
        return
    elif walk.position and contiguous:
        done.problems.append(f"{label}: positions {walk.position + 1} to {position - 1} are missing")
    elif position == 1 and prev_hash != GENESIS:
        done.problems.append(f"{label}: the first event of the chain must follow the genesis hash")
    done.runs += 1
    walk.run_start = position

"""The JSON Lines export: it matches the chain, carries the checkpoints over its range, and a check of the file
alone (no database) passes it untouched and names what was edited, removed, rewritten or forged."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from accord import signing
from accord.audit import checkpoints
from accord.audit import service as audit
from accord.audit.models import AuditEvent
from accord.db import unit_of_work
from tests.audit.bulk import bulk_events
from tests.audit.test_browse import Reader, Role


def export(rt, scope=audit.EVERYTHING, **asked) -> list[str]:
    return list(audit.export_lines(rt, scope, audit.filters(**asked)))


def events_of(lines) -> list[dict]:
    return [json.loads(x) for x in lines if json.loads(x)["type"] == "event"]


def edit(lines, n, **changes) -> list[str]:
    """The export with its n-th event line changed (and nothing else)."""
    out, seen = [], 0
    for x in lines:
        line = json.loads(x)
        if line["type"] == "event":
            seen += 1
            if seen == n:
                line.update(changes)
                x = json.dumps(line) + "\n"
        out.append(x)
    return out


def rehash(line: dict) -> str:
    return audit.event_hash(
        line["prev_hash"],
        datetime.fromisoformat(line["at"]),
        line["actor_id"],
        line["actor"],
        line["action"],
        line["object_type"],
        line["object_id"],
        line["data"],
    )


def test_an_export_holds_the_chain_as_stored_and_checks_offline(db_rt, db):
    bulk_events(db, 12)
    written = checkpoints.verify(db_rt, db).written  # signs position 12
    bulk_events(db, 3)
    lines = export(db_rt)
    header = json.loads(lines[0])
    assert header["events"] == 15 and header["first_position"] == 1 and header["contiguous"] is True
    assert json.loads(lines[1]) == {"type": "checkpoint", "name": written.name, "document": json.loads(written.raw)}
    stored = db.execute(select(AuditEvent.id, AuditEvent.prev_hash, AuditEvent.hash).order_by(AuditEvent.id)).all()
    assert [(e["id"], e["prev_hash"], e["hash"]) for e in events_of(lines)] == [tuple(r) for r in stored]
    assert [e["position"] for e in events_of(lines)] == list(range(1, 16))
    assert json.loads(lines[-1]) == {"type": "end", "events": 15}
    cert = signing.load_cert(signing.platform_keys(db_rt.settings.data_dir).cert.read_bytes())
    checked = audit.check_export(lines, cert=cert)
    assert checked.ok, checked.problems
    assert (checked.events, checked.runs, checked.checkpoints, checked.vouched) == (15, 1, 1, 12)
    assert checked.own_certificate is False and checked.certificate == signing.fingerprint(cert)


def test_a_range_in_the_middle_is_vouched_for_up_to_its_checkpoint(db_rt, db):
    bulk_events(db, 30)  # one a minute from midnight
    checkpoints.verify(db_rt, db)
    bulk_events(db, 5, start=datetime(2026, 3, 1, tzinfo=UTC))
    lines = export(db_rt, since="2026-01-01T00:20:00", until="2026-03-02")
    assert [e["position"] for e in events_of(lines)] == list(range(21, 36))
    checked = audit.check_export(lines)  # with the certificate the file carries
    assert checked.ok and checked.own_certificate and (checked.checkpoints, checked.vouched) == (1, 10)


def test_an_edited_line_is_named(db_rt, db):
    bulk_events(db, 6)
    lines = export(db_rt)
    third = events_of(lines)[2]["id"]
    checked = audit.check_export(edit(lines, 3, data={"i": 99}))
    assert checked.problems == [
        f"line 4 (event {third}, position 3): its fields do not give its hash: the event was edited"
    ]


def test_a_line_rewritten_with_a_fresh_hash_breaks_the_link_to_the_next(db_rt, db):
    bulk_events(db, 6)
    lines = export(db_rt)
    third = events_of(lines)[2]
    third["data"] = {"i": 99}
    lines = edit(lines, 3, data=third["data"], hash=rehash(third))
    checked = audit.check_export(lines)
    assert len(checked.problems) == 1 and "position 4): it does not carry the hash" in checked.problems[0]


def test_the_last_event_rewritten_fails_against_its_checkpoint(db_rt, db):
    bulk_events(db, 6)
    checkpoints.verify(db_rt, db)
    lines = export(db_rt)
    last = events_of(lines)[-1]
    last["data"] = {"i": 99}
    checked = audit.check_export(edit(lines, 6, data=last["data"], hash=rehash(last)))
    assert checked.problems == [
        f"line 8 (event {last['id']}, position 6): the checkpoint signed another hash at this position: rewritten"
    ]


def test_a_removed_line_a_cut_file_and_a_forged_checkpoint_are_named(db_rt, db):
    bulk_events(db, 6)
    checkpoints.verify(db_rt, db)
    lines = export(db_rt)
    removed = audit.check_export(lines[:4] + lines[5:])
    assert any("positions 3 to 3 are missing" in p for p in removed.problems)
    assert any("holds 5 events" in p for p in removed.problems)
    assert audit.check_export(lines[:-1]).problems == ["the file has no end line: it was cut short"]
    forged = json.loads(lines[1])
    forged["document"]["checkpoint"]["count"] = 5
    checked = audit.check_export([lines[0], json.dumps(forged), *lines[2:]])
    assert len(checked.problems) == 1 and "forged: its signature does not verify" in checked.problems[0]


def test_checked_with_another_platform_certificate_the_checkpoints_read_as_forged(db_rt, db, tmp_path):
    bulk_events(db, 4)
    checkpoints.verify(db_rt, db)
    other = signing.ensure_keys(tmp_path / "other-keys")
    checked = audit.check_export(export(db_rt), cert=signing.load_cert(other.cert.read_bytes()))
    assert not checked.ok and "forged" in checked.problems[0]


def test_a_datasets_export_has_gaps_but_each_event_still_checks(db_rt, db):
    bulk_events(db, 12)  # datasets cycle 1, 2, none
    checkpoints.verify(db_rt, db)
    curator = audit.scope_of(Reader([Role("curator", 1)]))
    lines = export(db_rt, curator)
    assert [e["dataset_id"] for e in events_of(lines)] == [1] * 4
    header = json.loads(lines[0])
    assert header["contiguous"] is False and header["asked"]["scope"] == [1]
    checked = audit.check_export(lines)
    assert checked.ok and checked.runs == 4 and checked.vouched == 0
    retagged = audit.check_export(edit(lines, 2, dataset_id=2))
    second = events_of(lines)[1]["id"]  # line 3: no checkpoint line, the one at position 12 lies past this range
    assert retagged.problems == [
        f"line 3 (event {second}, position 4): its dataset_id is not the dataset its hashed fields name"
    ]


def test_recorded_events_carry_their_dataset_in_the_hashed_data(db):
    with unit_of_work(db):
        tagged = audit.record(db, actor="cli", action="thing.done", object=("thing", 1), dataset=7)
        by_object = audit.record(db, actor="cli", action="policy.set", object=("dataset", 8))
        untagged = audit.record(db, actor="cli", action="email.sent", object=("outbox_message", 3))
    assert (tagged.dataset_id, tagged.data) == (7, {"dataset_id": 7})
    assert (by_object.dataset_id, untagged.dataset_id) == (8, None)
    assert audit.verify(db).ok


def test_an_empty_selection_exports_a_header_and_an_end(db_rt, db):
    bulk_events(db, 3)
    lines = export(db_rt, actor="nobody@lab.example")
    assert [json.loads(x)["type"] for x in lines] == ["header", "end"]
    assert audit.check_export(lines).ok

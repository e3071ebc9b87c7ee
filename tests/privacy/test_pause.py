"""Where the terms say so (`privacy.pause_while_notice_overdue`), a licensee's access pauses while one of their
deletion notices is past due and unanswered, and resumes when they attest; download links issued before the due
date stop at it without asking the database (the decision's `until`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from accord.entitlements import service as entitlements
from accord.policy.io import seed
from accord.privacy import service as privacy
from accord.privacy.models import DeletionNotice
from tests.privacy.world import downloaded, make_world, proven_request


def _terms(pause: bool):
    policy = seed("llvip")
    return policy.model_copy(
        update={"privacy": policy.privacy.model_copy(update={"pause_while_notice_overdue": pause})}
    )


def _removed(rt, world):
    user = next(iter(world.licensees.values()))
    downloaded(rt, world, user, ["subject-00/img-000.jpg"])
    sub = proven_request(rt, world, labels=("00",))
    with rt.session() as db:
        privacy.select_matches(db, sub.request.id, set(), actor=world.curator, labels=["00"])
        privacy.accept(rt, db, sub.request.id, actor=world.curator)
        notice = db.scalars(select(DeletionNotice).where(DeletionNotice.user_id == user.id)).one()
    return user, notice


def test_access_pauses_while_a_notice_is_overdue_and_resumes_on_attestation(rt, tmp_path):
    world = make_world(rt, tmp_path, count=4, licensees=1, policy=_terms(True))
    user, notice = _removed(rt, world)
    with rt.session() as db:
        before = entitlements.check(db, user, world.dataset_id)
        assert before.allowed and before.until is not None and before.until <= notice.due_at  # links stop then
        late = entitlements.check(db, user, world.dataset_id, at=notice.due_at + timedelta(hours=1))
        assert not late.allowed and "deletion notice" in late.reason and "/privacy/notices" in late.reason
        privacy.attest(db, notice.id, user=user, confirmed=True)
        again = entitlements.check(db, user, world.dataset_id, at=notice.due_at + timedelta(hours=1))
        assert again.allowed


def test_without_that_term_an_overdue_notice_does_not_pause_access(rt, tmp_path):
    world = make_world(rt, tmp_path, count=4, licensees=1, policy=_terms(False))
    user, notice = _removed(rt, world)
    with rt.session() as db:
        assert entitlements.check(db, user, world.dataset_id, at=notice.due_at + timedelta(days=1)).allowed

"""A domain adds a requirement without editing access: registered under the `access.requirements` hook, it shows in
the applicant's "still needed" list, holds back submission, click-through approval and reviewers' approval, shows
in the review queue, and, once met, lets the waiting click-through application through."""

from __future__ import annotations

import pytest

from accord import plugins
from accord.access import queue, requirements, workflow
from accord.access import service as access
from accord.db import unit_of_work, utcnow
from accord.errors import IllegalTransition, InvalidInput
from tests.access.helpers import dataset_with_terms, person
from tests.access.test_service import signed


class Attestation:
    """What a later domain (say, an ethics attestation) would provide: met once the applicant attested."""

    name = "attestation"

    def __init__(self):
        self.attested: set[int] = set()
        self.refuse_submit = False

    def applies(self, policy):
        return policy.review.mode.value == "automatic"  # in this test: LLVIP's click-through terms only

    def still_needed(self, db, app_id, policy):
        return None if app_id in self.attested else "an ethics attestation (not given yet)"

    def before_submit(self, db, app_id, policy):
        if self.refuse_submit:
            raise InvalidInput("attest first", field="attestation")

    def met(self, db, app_id, policy):
        return app_id in self.attested

    def before_approval(self, db, app_id, policy):
        if not self.met(db, app_id, policy):
            raise IllegalTransition("cannot approve until the applicant attests")

    def stages(self, db, apps, policies, today):
        return {a.id: ("given" if a.id in self.attested else "waiting") for a in apps}


ATTESTATION = Attestation()


@pytest.fixture
def attestation(monkeypatch):
    """Registered the way a domain registers one: a "module:attribute" line under the hook."""
    ATTESTATION.__init__()
    monkeypatch.setitem(
        plugins.HOOKS,
        "access.requirements",
        plugins.HOOKS["access.requirements"] + ("tests.access.test_requirements:ATTESTATION",),
    )
    plugins.provided.cache_clear()
    yield ATTESTATION
    plugins.provided.cache_clear()


def test_a_registered_requirement_holds_back_click_through_until_met(db_rt, db, tmp_path, attestation):
    llvip = dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example")
    rev = person(db, "rev@lab.example", reviewer_of=llvip)
    record = signed(db_rt, db, "llvip", ana)
    assert [(n.name, n.words) for n in record.needed] == [("attestation", "an ethics attestation (not given yet)")]

    sent = access.submit(db, record.id, actor=ana)
    assert sent.state.status is workflow.Status.submitted  # every check passed, yet not approved automatically
    with pytest.raises(IllegalTransition, match="until the applicant attests"):
        access.approve(db, record.id, actor=rev)
    assert access.get(db, record.id, viewer=ana).state.status is workflow.Status.submitted
    [row] = queue.review_queue(db, rev).rows
    assert row.stages == {"attestation": "waiting"}

    attestation.attested.add(record.id)
    with unit_of_work(db):
        assert access.requirement_met(db, ana.id, at=utcnow()) == [record.id]
    done = access.get(db, record.id, viewer=ana)
    assert done.state.status is workflow.Status.approved and done.needed == []


def test_a_requirement_can_refuse_submission_and_nothing_changes(db_rt, db, tmp_path, attestation):
    dataset_with_terms(db_rt, tmp_path, "llvip")
    ana = person(db, "ana@lab.example")
    record = signed(db_rt, db, "llvip", ana)
    attestation.refuse_submit = True
    with pytest.raises(InvalidInput, match="attest first"):
        access.submit(db, record.id, actor=ana)
    after = access.get(db, record.id, viewer=ana)
    assert after.state.status is workflow.Status.draft and after.state.submitted_at is None
    assert after.actions == record.actions  # still signed, still to be sent


def test_terms_a_requirement_does_not_apply_to_never_see_it(db_rt, db, tmp_path, attestation):
    dataset_with_terms(db_rt, tmp_path, "at-ustc")  # reviewed by people: the test requirement does not apply
    ana = person(db, "ana@mit.edu")
    record = signed(db_rt, db, "at-ustc", ana)
    assert record.needed == []
    assert requirements.stages(db, [], {}, utcnow().date()) == {}

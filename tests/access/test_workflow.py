"""The application state machine: every event kind is handled, illegal moves raise, and random command
sequences (Hypothesis) never reach an inconsistent state."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from accord.access import workflow as wf
from accord.access.workflow import Kind, Status
from accord.errors import IllegalTransition, InvalidInput

T0 = datetime(2026, 1, 1, tzinfo=UTC)
APPLICANT, REVIEWER, REVIEWER2 = 1, 2, 3


def created(needs_signatory=False, approvals_needed=1):
    ev = wf.decide_create(
        applicant=APPLICANT,
        dataset_id=7,
        policy_version=1,
        needs_signatory=needs_signatory,
        approvals_needed=approvals_needed,
        at=T0,
    )
    return [ev]


def run(events, *steps):
    """Apply decide_* steps (each a function of the current state) and return the events."""
    events = list(events)
    for step in steps:
        events.append(step(wf.replay(events)))
    return events


def sign(a):
    return wf.decide_sign(a, actor=APPLICANT, full_name="Ada Lovelace", consent=True, document_sha256="ab" * 32, at=T0)


submit = lambda a: wf.decide_submit(a, actor=APPLICANT, at=T0)  # noqa: E731
verify = lambda a: wf.decide_email_verified(a, at=T0)  # noqa: E731
approve = lambda a: wf.decide_approve(a, actor=REVIEWER, at=T0)  # noqa: E731


def test_every_event_kind_is_handled_by_apply():
    base = wf.replay(created())
    samples = {
        Kind.created: {"dataset_id": 1, "policy_version": 1},
        Kind.saved: {"answers": {}},
        Kind.signed: {},
        Kind.submitted: {},
        Kind.resubmitted: {},
        Kind.email_verified: {},
        Kind.checks_run: {"results": {}},
        Kind.signatory_invited: {"signatory": {}},
        Kind.signatory_signed: {},
        Kind.signatory_declined: {},
        Kind.returned: {"comment": "x"},
        Kind.approved: {},
        Kind.rejected: {"reason": "x"},
        Kind.withdrawn: {},
    }
    assert set(samples) == set(Kind)
    for kind, data in samples.items():
        wf.apply(base, wf.Event(kind, REVIEWER, T0, data))


def test_the_happy_path_ends_approved():
    app = wf.replay(run(created(), sign, submit, verify, approve))
    assert app.status is Status.approved and app.decided_by == REVIEWER


def test_changing_answers_after_signing_voids_the_signature():
    events = run(created(), sign, lambda a: wf.decide_save(a, actor=APPLICANT, answers={"unit": "Lab B"}, at=T0))
    assert wf.replay(events).signature is None
    with pytest.raises(IllegalTransition, match="sign the agreement"):
        submit(wf.replay(events))


def test_a_legal_signatory_must_sign_before_review():
    events = created(needs_signatory=True)
    events = run(
        events,
        lambda a: wf.decide_save(
            a, actor=APPLICANT, answers={}, signatory={"name": "R. Lee", "email": "legal@uni.example"}, at=T0
        ),
        sign,
        submit,
        verify,
    )
    app = wf.replay(events)
    assert app.status is Status.awaiting_signatory
    with pytest.raises(IllegalTransition):
        approve(app)
    events = run(events, lambda a: wf.decide_signatory(a, sign=True, full_name="R. Lee", at=T0), approve)
    assert wf.replay(events).status is Status.approved


def test_a_quorum_needs_that_many_different_reviewers():
    events = run(created(approvals_needed=2), sign, submit, verify, approve)
    app = wf.replay(events)
    assert app.status is Status.submitted and app.approvals == (REVIEWER,)
    with pytest.raises(IllegalTransition, match="already approved"):
        approve(app)
    events = run(events, lambda a: wf.decide_approve(a, actor=REVIEWER2, at=T0))
    assert wf.replay(events).status is Status.approved


def test_failing_blocking_checks_prevent_approval():
    events = run(
        created(),
        sign,
        submit,
        verify,
        lambda a: wf.decide_checks(a, results={"institutional_email": {"passed": False}}, at=T0),
    )
    with pytest.raises(IllegalTransition, match="institutional email"):
        approve(wf.replay(events))


ALL_STATES = list(Status)
COMMANDS = {
    "sign": sign,
    "submit": submit,
    "approve": approve,
    "reject": lambda a: wf.decide_reject(a, actor=REVIEWER, reason="no", at=T0),
    "return": lambda a: wf.decide_return(a, actor=REVIEWER, comment="fix", at=T0),
    "withdraw": lambda a: wf.decide_withdraw(a, actor=APPLICANT, at=T0),
}
# (status, command) pairs that are legal, given an otherwise complete application; all others raise.
ALLOWED = {
    (Status.draft, "sign"),
    (Status.draft, "submit"),
    (Status.draft, "withdraw"),
    (Status.returned, "sign"),
    (Status.returned, "submit"),
    (Status.returned, "withdraw"),
    (Status.submitted, "approve"),
    (Status.submitted, "reject"),
    (Status.submitted, "return"),
    (Status.submitted, "withdraw"),
    (Status.awaiting_signatory, "reject"),
    (Status.awaiting_signatory, "return"),
    (Status.awaiting_signatory, "withdraw"),
}


def _complete_app_in(status: Status) -> wf.Application:
    app = wf.replay(run(created(), sign, verify))
    return wf.Application(**{**app.__dict__, "status": status, "signatory": {"name": "x"}})


@pytest.mark.parametrize("status", ALL_STATES)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_transition_table(status, command):
    app = _complete_app_in(status)
    if (status, command) in ALLOWED:
        COMMANDS[command](app)
    else:
        with pytest.raises(IllegalTransition):
            COMMANDS[command](app)


def test_an_applicant_cannot_approve_their_own_application():
    app = wf.replay(run(created(), sign, submit, verify))
    with pytest.raises(IllegalTransition, match="own application"):
        wf.decide_approve(app, actor=APPLICANT, at=T0)


def test_signing_needs_consent_and_a_name():
    app = wf.replay(created())
    with pytest.raises(InvalidInput, match="agree"):
        wf.decide_sign(app, actor=APPLICANT, full_name="Ada", consent=False, document_sha256="x", at=T0)
    with pytest.raises(InvalidInput, match="full name"):
        wf.decide_sign(app, actor=APPLICANT, full_name=" ", consent=True, document_sha256="x", at=T0)


class ApplicationMachine(RuleBasedStateMachine):
    """Random sequences of commands from every party; illegal ones must raise and change nothing."""

    @initialize(needs_signatory=st.booleans(), quorum=st.integers(1, 2))
    def start(self, needs_signatory, quorum):
        self.events = created(needs_signatory, quorum)
        self.at = T0

    def _try(self, decide):
        before = wf.replay(self.events)
        self.at += timedelta(minutes=1)
        try:
            event = decide(before)
        except (IllegalTransition, InvalidInput):
            assert wf.replay(self.events) == before
            return
        self.events.append(event)
        if before.status in wf.TERMINAL:
            raise AssertionError(f"{event.kind} was accepted on a {before.status} application")

    @rule(answers=st.dictionaries(st.sampled_from(["name", "unit", "purpose"]), st.text(max_size=5), max_size=2))
    def save(self, answers):
        self._try(
            lambda a: wf.decide_save(
                a, actor=APPLICANT, answers=answers, at=self.at, signatory={"name": "S", "email": "s@uni.example"}
            )
        )

    @rule()
    def sign(self):
        self._try(
            lambda a: wf.decide_sign(
                a, actor=APPLICANT, full_name="Ada L", consent=True, document_sha256="cd" * 32, at=self.at
            )
        )

    @rule()
    def submit(self):
        self._try(lambda a: wf.decide_submit(a, actor=APPLICANT, at=self.at))

    @rule()
    def verify(self):
        self._try(lambda a: wf.decide_email_verified(a, at=self.at))

    @rule(passed=st.booleans())
    def checks(self, passed):
        self._try(lambda a: wf.decide_checks(a, results={"domain": {"passed": passed}}, at=self.at))

    @rule(sign=st.booleans())
    def signatory(self, sign):
        self._try(lambda a: wf.decide_signatory(a, sign=sign, full_name="S Lee", at=self.at))

    @rule(reviewer=st.sampled_from([APPLICANT, REVIEWER, REVIEWER2]))
    def approve(self, reviewer):
        self._try(lambda a: wf.decide_approve(a, actor=reviewer, at=self.at))

    @rule()
    def reject(self):
        self._try(lambda a: wf.decide_reject(a, actor=REVIEWER, reason="out of scope", at=self.at))

    @rule()
    def return_(self):
        self._try(lambda a: wf.decide_return(a, actor=REVIEWER, comment="add your unit", at=self.at))

    @rule()
    def withdraw(self):
        self._try(lambda a: wf.decide_withdraw(a, actor=APPLICANT, at=self.at))

    @invariant()
    def approved_means_everything_was_in_place(self):
        app = wf.replay(self.events)
        if app.status is Status.approved:
            assert app.signature and app.email_verified and not app.failed_checks
            assert len(set(app.approvals)) >= app.approvals_needed and APPLICANT not in app.approvals
            assert not app.needs_signatory or app.signatory_signature

    @invariant()
    def state_is_a_pure_function_of_events(self):
        assert wf.replay(self.events) == wf.replay(list(self.events))
        assert wf.replay(self.events).status is not None


TestApplicationMachine = ApplicationMachine.TestCase
TestApplicationMachine.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)

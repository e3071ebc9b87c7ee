"""Following the e-mail confirmation link also tells the person's open applications (one step for them)."""

from accord.access import service as access
from accord.identity import service as identity
from tests.access.helpers import dataset_with_terms, person


def test_the_confirmation_link_marks_open_applications_as_proven(client, rt, tmp_path):
    dataset_with_terms(rt, tmp_path, "at-ustc")
    with rt.session() as db:
        ana = person(db, "ana@mit.edu", verified=False)
        record = access.start(db, "at-ustc", actor=ana)
        assert not record.state.email_verified
        token = identity.email_verification_token(rt.secret, ana)
    assert client.get("/verify-email", params={"token": token}).status_code == 200
    with rt.session() as db:
        assert access.get(db, record.id, viewer=ana).state.email_verified

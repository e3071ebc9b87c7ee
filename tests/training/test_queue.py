"""The review queue shows where each application's training certificate stands (none, waiting, accepted, ran out,
not accepted) when its terms ask for one, on the page and in the API, at a fixed number of statements per page."""

import re

from sqlalchemy import event

from accord.access import queue
from accord.access import service as access
from accord.db import unit_of_work
from accord.identity import service as identity
from accord.policy import service as policies
from accord.training import service as training
from accord.training.models import TrainingCertificate
from tests.access.helpers import dataset_with_terms
from tests.access.test_queue import many
from tests.identity.helpers import api_token, log_in
from tests.training.helpers import dataset_needing_training, days, person, signed, upload


def sent(rt, db, slug, who, *, certificate=True):
    """`who` applies for `slug`, with a certificate uploaded (unless they hold an accepted one), and submits."""
    record = signed(rt, db, slug, who)
    cert = upload(rt, db, who, application_id=record.id) if certificate else None
    access.submit(db, record.id, actor=who)
    return record.id, cert


def test_each_row_says_where_its_certificate_stands(db_rt, db, tmp_path):
    at = dataset_needing_training(db_rt, tmp_path, "at-ustc")
    llvip = dataset_needing_training(db_rt, tmp_path, "llvip")
    shhq = dataset_with_terms(db_rt, tmp_path, "shhq")  # its terms ask for no training
    rev = person(db, "rev@lab.example", reviewer_of=at)
    for other in (llvip, shhq):
        identity.grant_role(db, rev, "reviewer", dataset_id=other.id)
    ana, bea, cid, dan, eve = (person(db, f"{n}@mit.edu") for n in ("ana", "bea", "cid", "dan", "eve"))

    sent(db_rt, db, "at-ustc", ana)
    training.accept(db, sent(db_rt, db, "at-ustc", bea)[1].id, actor=rev)
    ran_out = training.accept(db, sent(db_rt, db, "at-ustc", cid)[1].id, actor=rev)
    ran_out.completed_on, ran_out.expires_on = days(-400), days(-1)
    db.commit()
    training.reject(db, sent(db_rt, db, "at-ustc", dan)[1].id, actor=rev, reason="unreadable")
    training.accept(db, sent(db_rt, db, "llvip", eve)[1].id, actor=rev)  # accepted for another dataset ...
    sent(db_rt, db, "at-ustc", eve, certificate=False)  # ... serves this application too
    many(db, at, 1)  # straight into the table: sent without any certificate
    many(db, shhq, 1, start=1)

    rows = queue.review_queue(db, rev, status="all").rows
    seen = {(r.applicant_email, r.dataset_slug): r.stages.get("certificate") for r in rows}
    assert seen == {
        ("ana@mit.edu", "at-ustc"): "waiting",
        ("bea@mit.edu", "at-ustc"): "accepted",
        ("cid@mit.edu", "at-ustc"): "ran out",
        ("dan@mit.edu", "at-ustc"): "not accepted",
        ("eve@mit.edu", "llvip"): "accepted",
        ("eve@mit.edu", "at-ustc"): "accepted",
        ("a0-at-ustc@uni.example", "at-ustc"): "none",
        ("a1-shhq@uni.example", "shhq"): None,
    }
    for r in rows:  # the same word as the application's own "what is still needed"
        needed = training.certificate.still_needed(db, r.id, policies.current(db, at.id).policy)
        if r.dataset_slug == "at-ustc":
            assert (needed is None) == (r.stages["certificate"] == "accepted")
            assert needed is None or training.STAGES[r.stages["certificate"]] in needed


def test_a_queue_page_with_certificates_costs_one_statement_more_whatever_its_size(db_rt, db, tmp_path):
    at = dataset_needing_training(db_rt, tmp_path, "at-ustc")
    rev = person(db, "rev@lab.example", reviewer_of=at)
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT", "RELEASE")):  # the PostgreSQL fixture's transaction
            statements.append(statement)

    certified = set()

    def certify() -> None:
        """A certificate with each application, in turn pending, accepted and rejected, and for half of those
        rejected an accepted one from elsewhere."""
        with unit_of_work(db):
            for app in queue.review_queue(db, rev, per_page=200).rows:
                if app.id in certified:
                    continue
                certified.add(app.id)
                user_id = identity.user_by_email(db, app.applicant_email).id
                status = ("pending", "accepted", "rejected")[app.id % 3]
                certs = [(app.id, status)] + ([(None, "accepted")] if app.id % 6 == 2 else [])
                for app_id, state in certs:
                    db.add(
                        TrainingCertificate(
                            user_id=user_id,
                            application_id=app_id,
                            dataset_id=at.id,
                            sha256="0" * 64,
                            media_type="image/png",
                            size=1,
                            course="CITI",
                            completed_on=days(-30),
                            expires_on=days(300),
                            status=state,
                        )
                    )

    def cost() -> int:
        db.expire_all()  # both runs start cold
        statements.clear()
        event.listen(db_rt.engine, "before_cursor_execute", count)
        try:
            page = queue.review_queue(db, rev, per_page=50)
        finally:
            event.remove(db_rt.engine, "before_cursor_execute", count)
        assert {r.stages["certificate"] for r in page.rows} == {"waiting", "accepted", "not accepted"}
        return len(statements)

    many(db, at, 10)
    certify()
    small = cost()
    many(db, at, 190, start=10)
    certify()
    assert queue.review_queue(db, rev).total == 200
    assert cost() == small <= 6  # the reviewer, their roles, count, rows, terms, certificates


def test_the_queue_page_and_the_api_show_the_certificate_badge(client, rt, tmp_path):
    at = dataset_needing_training(rt, tmp_path, "at-ustc")
    shhq = dataset_with_terms(rt, tmp_path, "shhq")
    with rt.session() as db:
        rev = person(db, "rev@lab.example", reviewer_of=at)
        identity.grant_role(db, rev, "reviewer", dataset_id=shhq.id)
        waiting, _ = sent(rt, db, "at-ustc", person(db, "ana@mit.edu"))
        many(db, shhq, 1)
    with rt.session() as db:  # the row whose terms ask for no training
        other = next(
            r.id for r in queue.review_queue(db, identity.user_by_email(db, rev.email)).rows if r.id != waiting
        )

    log_in(client, "rev@lab.example")
    page = client.get("/review").text
    assert re.search(rf'id="certificate-{waiting}"[^>]*>certificate: waiting<', page)
    assert f'id="certificate-{other}"' not in page
    rows = client.get("/api/v1/review-queue", headers={"Authorization": f"Bearer {api_token(rt, rev.email)}"})
    assert {r["id"]: r["stages"].get("certificate") for r in rows.json()["rows"]} == {waiting: "waiting", other: None}

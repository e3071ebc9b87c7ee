"""Registered organisations: admins (or the shell) register a mail domain, and addresses there or at a subdomain
pass the institutional e-mail check of terms that ask for one; anything else still fails it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accord.access import service as access
from accord.audit.models import AuditEvent
from accord.errors import Conflict, InvalidInput, PermissionDenied
from accord.identity import organisations
from tests.access.helpers import answers, dataset_with_terms, person


def test_an_admin_registers_a_domain_once_and_it_is_audited(db):
    admin = person(db, "root@example.org", "admin")
    org = organisations.register(db, name="Example Lab", domain=" @Lab.Example.COM. ", actor=admin)
    assert org.domain == "lab.example.com" and organisations.domains(db) == {"lab.example.com"}
    assert organisations.by_domain(db, "LAB.example.com").name == "Example Lab"
    assert (
        db.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "organisation"))
        == "organisation.registered"
    )
    with pytest.raises(Conflict):
        organisations.register(db, name="Again", domain="lab.example.com", actor="cli")


@pytest.mark.parametrize("domain", ["", "localhost", "not a domain", "a@b.example", "-x.example", "x.example/"])
def test_a_malformed_domain_is_refused(db, domain):
    with pytest.raises(InvalidInput):
        organisations.register(db, name="X", domain=domain, actor="cli")
    assert organisations.listed(db) == []


def test_only_admins_register(db):
    ana = person(db, "ana@lab.example", "reviewer")
    with pytest.raises(PermissionDenied):
        organisations.register(db, name="Lab", domain="lab.example", actor=ana)


def _submitted_checks(rt, db, email):
    user = person(db, email)
    app_id = access.start(db, "shhq", actor=user).id
    access.save(db, app_id, actor=user, answers=answers("shhq", email))
    access.sign(rt, db, app_id, actor=user, full_name="Ana Lima", consent=True)
    return access.submit(db, app_id, actor=user).state.checks["institutional_email"]


def test_an_address_at_a_registered_domain_or_its_subdomain_passes_the_institutional_check(db_rt, db, tmp_path):
    dataset_with_terms(db_rt, tmp_path, "shhq")  # its terms ask for an institutional address
    assert not _submitted_checks(db_rt, db, "before@lab.example")["passed"]
    organisations.register(db, name="Example Lab", domain="lab.example", actor="cli")
    passed = _submitted_checks(db_rt, db, "ana@vision.lab.example")
    assert passed["passed"] and "registered organisation" in passed["detail"]
    assert not _submitted_checks(db_rt, db, "eve@otherlab.example")["passed"]  # not a suffix match on the name

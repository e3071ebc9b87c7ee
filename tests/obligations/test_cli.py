"""accord derivatives|approvals|publications on the server, with --as; refusals exit non-zero and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accord.cli import main as cli
from accord.obligations.models import ApprovalRequest, Derivative, Publication
from tests.cli import run
from tests.obligations.helpers import dataset_under, licensee


@pytest.fixture
def world(rt, tmp_path):
    ds, _version, reviewer = dataset_under(rt, tmp_path, "cion-al")
    ana, _ = licensee(rt, ds, "ana@uni.example.org", networks=["192.0.2.0/24"])
    cli.use_runtime(rt)
    yield ana, reviewer
    cli.use_runtime(None)


def _all(rt, model):
    with rt.session() as db:
        return list(db.scalars(select(model).order_by(model.id)))


def test_a_licensee_declares_asks_and_registers_and_a_reviewer_answers(world, rt, capsys):
    ana, reviewer = world
    assert run("derivatives", "declare", "cion-al", "--kind", "processed", "--title", "Blurred", "--as", ana.email) == 0
    assert "pending (the custodian will answer)" in capsys.readouterr().out
    [d] = _all(rt, Derivative)
    assert run("derivatives", "list", "--to-answer", "--as", reviewer.email) == 0
    assert "Blurred" in capsys.readouterr().out
    assert run("derivatives", "decide", str(d.id), "--refuse", "--as", reviewer.email) != 0  # a reason is needed
    assert _all(rt, Derivative)[0].status == "pending"
    assert run("derivatives", "decide", str(d.id), "--approve", "--note", "ok", "--as", reviewer.email) == 0
    assert _all(rt, Derivative)[0].status == "approved"

    args = ["approvals", "ask", "cion-al", "--kind", "unit", "--description", "The Porto lab joins us.", "--unit"]
    assert run(*args, "Porto", "--as", ana.email) != 0  # the grant is limited to its site: name the unit's ranges
    assert _all(rt, ApprovalRequest) == []
    assert run(*args, "Porto", "--network", "198.51.100.0/24", "--as", ana.email) == 0
    [r] = _all(rt, ApprovalRequest)
    assert run("approvals", "decide", str(r.id), "--approve", "--network", "10.0.0.0/8") != 0  # beyond the ask
    assert run("approvals", "decide", str(r.id), "--approve", "--conditions", "no copies") == 0  # the shell
    assert _all(rt, ApprovalRequest)[0].status == "approved"
    assert run("approvals", "list", "--dataset", "cion-al", "--as", ana.email) == 0
    assert "no copies" in capsys.readouterr().out

    assert run("publications", "add", "cion-al", "--doi", "not-a-doi", "--as", ana.email) != 0
    assert run("publications", "add", "cion-al", "--doi", "10.1000/x.1", "--year", "2025", "--as", ana.email) == 0
    assert [p.doi for p in _all(rt, Publication)] == ["10.1000/x.1"]
    capsys.readouterr()
    assert run("publications", "list", "cion-al") == 0
    assert "10.1000/x.1" in capsys.readouterr().out
    assert run("publications", "ask", "cion-al") == 0
    assert "asked 1 licensee(s)" in capsys.readouterr().out
    assert run("publications", "add", "cion-al", "--title", "No one") != 0  # a paper is someone's: --as is needed

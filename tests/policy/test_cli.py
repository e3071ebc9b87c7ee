import json

import pytest

from accord.catalog import service as catalog
from accord.cli import main as cli
from accord.policy import service as policies
from accord.policy.io import dump_yaml, seed
from tests.cli import run


@pytest.fixture
def dataset(rt):
    cli.use_runtime(rt)
    with rt.session() as db:
        ds = catalog.create_dataset(db, slug="cion-al", title="CION-AL: person images", custodian="HUST", actor="cli")
    yield ds
    cli.use_runtime(None)


def test_set_then_show_round_trips_the_document(rt, dataset, tmp_path, capsys):
    path = tmp_path / "terms.yaml"
    path.write_text(dump_yaml(seed("cion-al")))
    assert run("policy", "set", "cion-al", str(path), "--note", "from the PDF") == 0
    assert "version 1 saved" in capsys.readouterr().out
    assert run("policy", "set", "cion-al", str(path)) == 0
    assert "unchanged" in capsys.readouterr().out
    assert run("policy", "show", "cion-al", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["signatory"] == "legal_authority"


def test_an_invalid_document_exits_2_with_the_reason(rt, dataset, tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("purposes: [research]\nredistribution: everywhere\n")
    assert run("policy", "set", "cion-al", str(path)) == 2
    assert "redistribution" in capsys.readouterr().err
    with rt.session() as db:
        assert policies.current(db, dataset.id) is None


def test_a_missing_file_or_dataset_is_a_clear_error(rt, dataset, tmp_path, capsys):
    assert run("policy", "set", "cion-al", str(tmp_path / "nope.yaml")) == 2
    assert run("policy", "show", "no-such-set") == 3
    assert run("policy", "show", "cion-al") == 3  # no terms yet


def test_diff_lists_changed_clauses(rt, dataset, tmp_path, capsys):
    with rt.session() as db:
        policies.set_policy(db, dataset.id, seed("cion-al"), actor="cli")
        policies.set_policy(db, dataset.id, seed("cion-al").model_copy(update={"access_days": 90}), actor="cli")
    assert run("policy", "diff", "cion-al", "1", "2") == 0
    assert "Duration (added)" in capsys.readouterr().out

import pytest
from sqlalchemy import func, select

from accord.catalog import service as catalog
from accord.cli import main as cli
from accord.demo.load import DEMO_USERS
from accord.identity.models import User
from accord.runtime import build
from tests.conftest import make_settings


@pytest.fixture
def use(request):
    """Hand a runtime to the CLI for one test, and take it back afterwards."""
    runtimes = []

    def _use(rt):
        runtimes.append(rt)
        cli.use_runtime(rt)
        return rt

    yield _use
    runtimes.append(cli.runtime())  # --reset builds a new one
    cli.use_runtime(None)
    for rt in runtimes:
        rt.engine.dispose()


def _run(capsys, *args) -> tuple[int, str]:
    try:
        cli.main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_accord_demo_migrates_loads_the_catalogue_and_prints_the_logins(settings, use, capsys):
    rt = use(build(settings))  # not migrated: the command does it
    code, output = _run(capsys, "demo", "--small")
    assert code == 0, output
    for demo_user in DEMO_USERS:
        assert demo_user.email in output and demo_user.password in output
    assert rt.settings.base_url in output
    with rt.session() as db:
        assert sorted(c.slug for c in catalog.search_datasets(db)) == ["at-ustc", "cion-al", "llvip", "shhq"]


def test_accord_demo_a_second_time_says_there_was_nothing_to_do(settings, use, capsys):
    rt = use(build(settings))
    assert _run(capsys, "demo", "--small")[0] == 0
    code, output = _run(capsys, "demo", "--small")
    assert code == 0
    assert "Nothing to do" in output
    with rt.session() as db:
        assert db.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)


def test_accord_demo_outside_demo_mode_exits_2_and_changes_nothing(tmp_path, use, capsys):
    rt = use(build(make_settings(tmp_path, demo=False)))
    code, output = _run(capsys, "demo", "--small")
    assert code == 2
    assert "ACCORD_DEMO=true" in output
    assert not (rt.settings.data_dir / "accord.db").exists()


def test_accord_demo_reset_starts_from_an_empty_catalogue(settings, use, capsys):
    rt = use(build(settings))
    assert _run(capsys, "demo", "--small")[0] == 0
    with rt.session() as db:
        ds = catalog.dataset_by_slug(db, "llvip")
        catalog.withdraw(db, catalog.latest_published(db, ds.id).id, actor="test", reason="testing reset")
    code, output = _run(capsys, "demo", "--small", "--reset")
    assert code == 0, output
    assert "removed" in output
    with cli.runtime().session() as db:
        ds = catalog.dataset_by_slug(db, "llvip")
        assert catalog.latest_published(db, ds.id) is not None

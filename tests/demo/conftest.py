import pytest

from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path):
    """Demo tests run in demo mode (as `make demo` sets ACCORD_DEMO=true)."""
    return make_settings(tmp_path, demo=True)

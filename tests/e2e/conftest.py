"""Browser tests: the real app on a free port (uvicorn in a thread) and headless Chromium through Playwright."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from accord import dbmigrate
from accord.identity import service as identity
from accord.runtime import build
from tests.conftest import make_settings
from tests.smtp import SmtpServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "an admin passphrase for e2e"
# The README's pictures are refreshed on request only (ACCORD_SCREENSHOTS=1 make test PYTEST_ARGS=tests/e2e), so an
# ordinary run leaves the working tree as it was; otherwise the shots still get taken, into a scratch folder.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("ACCORD_SCREENSHOTS")
    else Path(tempfile.gettempdir()) / "accord-e2e-screenshots"
)


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """The whole app with a demo-like catalogue; jobs run inline so an upload's job is done on redirect."""
    import uvicorn

    from accord.demo.images import DemoScale
    from accord.demo.load import load_datasets
    from accord.web.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # bound before the server starts: connections wait in the backlog, no start-up race
    port = sock.getsockname()[1]
    smtp = SmtpServer().start()  # mail goes out only when a test sends the outbox (notify.send_due)
    settings = make_settings(
        tmp_path_factory.mktemp("e2e"),
        base_url=f"http://127.0.0.1:{port}",
        jobs_immediate=True,
        smtp_url=f"smtp://{smtp.host}:{smtp.port}",
    )
    rt = build(settings)
    dbmigrate.upgrade(rt.engine)
    with rt.session() as db:
        identity.create_user(
            db, email=ADMIN_EMAIL, name="Ada Admin", password=ADMIN_PASSWORD, roles=["admin"], actor="cli"
        )
    load_datasets(
        rt,
        scale=DemoScale(
            llvip_pairs=8,
            llvip_preview_pairs=4,
            cion_identities=6,
            cion_crops=3,
            cion_preview_identities=2,
            at_ustc_volunteers=3,
            shhq_images=16,
            shhq_preview=12,
        ),
    )
    server = uvicorn.Server(uvicorn.Config(create_app(rt), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{port}", rt=rt, smtp=smtp)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    smtp.stop()
    rt.engine.dispose()


@pytest.fixture(scope="module")  # Playwright's sync loop runs in this thread: end it with the module, or later
def browser():  # tests' asyncio.run (pyHanko's signing) fails ("called from a running loop")
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}: run `make browser` (as root) or "
            "`sudo apt-get install -y chromium chromium-driver`"
        )
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live_server(live) -> str:
    return live.url


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()

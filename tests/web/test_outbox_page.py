"""The admin outbox shows each message's text with its links clickable: on a demo, where mail only goes to the
console, an admin confirms an address or countersigns from this page."""

from __future__ import annotations

import re

from accord.notify import service as notify
from accord.web.templating import _linkify
from tests.web.test_admin_pages import login


def test_the_outbox_shows_each_body_with_its_links_clickable(client, rt):
    with rt.session() as db:
        notify.enqueue(
            db,
            "verify-email",
            to="ada@example.org",
            name="Ada",
            email="ada@example.org",
            link="http://testserver/verify-email?token=abc.def",
            valid_days=3,
            site="http://testserver",
        )
        db.commit()
    login(client, rt)
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    assert "Hello Ada" in page.text  # the body, not only the subject
    assert re.search(r'<a href="http://testserver/verify-email\?token=abc.def">', page.text)


def test_links_are_made_clickable_without_letting_the_body_inject_markup():
    html = str(_linkify("Open http://x.test/a?b=1&c=2. <script>alert(1)</script> (see https://y.test/z)"))
    assert '<a href="http://x.test/a?b=1&amp;c=2">http://x.test/a?b=1&amp;c=2</a>.' in html
    assert '<a href="https://y.test/z">https://y.test/z</a>)' in html
    assert "<script>" not in html and "&lt;script&gt;" in html

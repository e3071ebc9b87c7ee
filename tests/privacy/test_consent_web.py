"""The consent registry in the browser: the curators' page (import with its report or its bad lines, what lacks
consent, a scanned form, a withdrawal on paper) and the subject's own page behind their private link."""

from __future__ import annotations

import re

from accord.privacy import service as privacy
from tests.identity.helpers import csrf, log_in
from tests.privacy.consent_world import consent_csv, consent_world, face_pdf
from tests.privacy.world import last_mail

GOOD = consent_csv("AT-001,2021-03-04,face recognition research,one@example.net", "AT-002,2021-03-05,research,")


def _import(client, world, data=GOOD):
    page = f"/datasets/{world.slug}/consent"
    return client.post(
        f"{page}/import",
        data={"csrf_token": csrf(client, page)},
        files={"file": ("consent.csv", data, "text/csv")},
        follow_redirects=False,
    )


def test_the_curator_imports_and_sees_the_links_once_and_what_lacks_consent(client, rt, tmp_path):
    world = consent_world(rt, tmp_path)
    log_in(client, world.curator.email)
    page = client.get(f"/datasets/{world.slug}/consent")
    assert page.status_code == 200
    assert "AT-001 (2)" in page.text and "1 item(s) carry no subject label" in page.text
    done = _import(client, world)
    assert done.status_code == 200 and 'id="new-links"' in done.text
    assert done.headers["cache-control"] == "no-store"
    links = re.findall(r"http://[^<\s]+/privacy/consent/\d+\.[A-Za-z0-9_-]+", done.text)
    assert len(links) == 2
    assert "2 new, 0 updated" in done.text and '<ul id="missing"><li>AT-003 (2)</li></ul>' in done.text
    again = client.get(f"/datasets/{world.slug}/consent")
    assert "/privacy/consent/" not in again.text  # shown once: only hashes are kept


def test_a_bad_file_lists_its_lines_and_imports_nothing(client, rt, tmp_path):
    world = consent_world(rt, tmp_path)
    log_in(client, world.curator.email)
    bad = _import(client, world, consent_csv("AT-001,2021-02-30,research,", ",2021-03-04,research,"))
    assert bad.status_code == 422 and 'id="bad-lines"' in bad.text
    assert "<td>2</td><td>consented_at &#39;2021-02-30&#39; is not a date" in bad.text
    assert "<td>3</td><td>no subject label</td>" in bad.text
    with rt.session() as db:
        assert privacy.records(db, world.dataset_id, actor="cli") == []


def test_the_curator_uploads_a_scanned_form_and_opens_it(client, rt, tmp_path):
    world = consent_world(rt, tmp_path)
    log_in(client, world.curator.email)
    _import(client, world)
    page, pdf = f"/datasets/{world.slug}/consent", face_pdf()  # once: a PDF carries the second it was made
    post = client.post(
        f"{page}/form",
        data={"csrf_token": csrf(client, page), "subject": "AT-001"},
        files={"form": ("at-001.pdf", pdf, "application/pdf")},
        follow_redirects=False,
    )
    assert post.status_code == 303 and post.headers["location"].endswith("notice=form")
    got = client.get(f"{page}/form", params={"subject": "AT-001"})
    assert got.status_code == 200 and got.content == pdf and got.headers["content-security-policy"] == "sandbox"
    refused = client.post(
        f"{page}/form",
        data={"csrf_token": csrf(client, page), "subject": "AT-002"},
        files={"form": ("at-002.pdf", b"<html>not a scan</html>", "application/pdf")},
        follow_redirects=False,
    )
    assert refused.status_code == 422 and "must be a PDF, PNG or JPEG" in refused.text


def test_the_curator_of_another_dataset_is_refused(client, rt, tmp_path):
    world = consent_world(rt, tmp_path)
    other = consent_world(rt, tmp_path, slug="other")
    log_in(client, other.curator.email)
    assert client.get(f"/datasets/{world.slug}/consent").status_code == 403
    assert _import(client, other).status_code == 200  # their own
    page = f"/datasets/{other.slug}/consent"
    refused = client.post(
        f"/datasets/{world.slug}/consent/import",
        data={"csrf_token": csrf(client, page)},
        files={"file": ("consent.csv", GOOD, "text/csv")},
    )
    assert refused.status_code == 403
    with rt.session() as db:
        assert privacy.records(db, world.dataset_id, actor="cli") == []


def test_the_subject_reads_what_withdrawing_means_and_withdraws(client, rt, tmp_path):
    world = consent_world(rt, tmp_path)
    with rt.session() as db:
        report = privacy.import_csv(rt, db, world.dataset_id, GOOD, actor="cli")
    path = "/" + report.links[0][1].split("/", 3)[3]
    page = client.get(path)
    assert page.status_code == 200
    for words in ("label <strong>AT-001</strong>", "left out of the next version", "told to delete their copies"):
        assert words in page.text
    assert 'name="referrer" content="no-referrer"' in page.text
    bad = client.post(path, data={"csrf_token": csrf(client, path), "email": "nope"})
    assert bad.status_code == 422 and 'id="e-email"' in bad.text
    done = client.post(path, data={"csrf_token": csrf(client, path), "email": "one@example.net", "why": "no more"})
    assert done.status_code == 200 and 'id="follow-link"' in done.text
    follow = re.search(r'id="follow-link" href="([^"]+)"', done.text).group(1)
    assert follow in last_mail(rt, "one@example.net", "consent-withdrawn").text_body
    assert 'id="already"' in client.get(path).text
    again = client.post(path, data={"csrf_token": csrf(client), "email": "one@example.net"})  # no form is shown now
    assert again.status_code == 403 and "already withdrawn" in again.text
    assert client.get(path[:-3] + "xyz").status_code == 403  # forged


def test_the_curator_records_a_withdrawal_on_paper(client, rt, tmp_path):
    world = consent_world(rt, tmp_path)
    log_in(client, world.curator.email)
    _import(client, world)
    page = f"/datasets/{world.slug}/consent"
    done = client.post(
        f"{page}/withdraw",
        data={"csrf_token": csrf(client, page), "subject": "AT-002", "email": "two@example.net", "why": "letter"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "removal request was opened" in shown.text and "withdrawn " in shown.text
    assert '<ul id="withdrawn"><li>AT-002 (2)</li></ul>' in shown.text
    twice = client.post(
        f"{page}/withdraw", data={"csrf_token": csrf(client, page), "subject": "AT-002", "email": "two@example.net"}
    )
    assert twice.status_code == 409 and "already withdrawn" in twice.text

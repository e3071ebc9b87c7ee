"""The privacy desk in headless Chromium: a person finds themselves in a dataset of street scenes and asks to be
removed from its page with a photo of themselves, proves their address from the e-mail (read off the test SMTP
server), and follows the request; the photo search runs at proof (by face: the astronaut's photo, pasted into
generated scenes) and the photo is deleted; the curator sees the files found as thumbnails with their scores,
selects them and removes them; a licensee who had downloaded some of them opens the deletion notice from their
e-mail and attests; the person's page says what was done. Screenshots for the README:
docs/screenshots/privacy-<step>.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accord.catalog import service as catalog
from accord.identity import service as identity
from accord.policy import service as policies
from accord.policy.io import seed
from accord.privacy import service as privacy
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_access_journey import log_in
from tests.e2e.test_cion_al_journey import mail_to
from tests.identity.helpers import make_user
from tests.privacy.scenes import dataset, files, jpeg, scene, selfie
from tests.privacy.world import World, add_licensee, downloaded
from tests.smtp import text_of

pytestmark = pytest.mark.e2e
PERSON = "mira.person@example.net"


def _shot(page, step: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"privacy-{step}.png"), full_page=True)


def street_scenes(rt, tmp_path) -> World:
    """Street scenes, three with the astronaut and two with Grace Hopper in them, under LLVIP's terms; two
    licensees."""
    more = {"astronaut/a3.jpg": jpeg(scene("astronaut", width=220, at=(520, 260), seed=21))}
    ds_id, version_id, _items = dataset(rt, tmp_path, "street-scenes", contents=files(more))
    privacy.index_version(rt, version_id)  # publishing queued it; the e2e server runs no periodic jobs
    curator = make_user(rt, "desk@street-scenes.example.org")
    with rt.session() as db:
        policies.set_policy(db, ds_id, seed("llvip"), actor="cli")
        identity.grant_role(db, identity.user_by_id(db, curator.id), "curator", dataset_id=ds_id)
        items = {i.path: (i.id, i.sha256) for i in catalog.list_items(db, version_id, limit=1000)}
    world = World("street-scenes", ds_id, version_id, curator, items)
    for email in ("holder@uni.example.org", "bystander@uni.example.org"):
        add_licensee(rt, world, email)
    return world


def test_a_request_goes_from_the_public_form_to_a_licensees_attestation(page, browser, live, tmp_path):
    world = street_scenes(live.rt, tmp_path)
    holder, bystander = world.licensees.values()
    downloaded(live.rt, world, holder, ["astronaut/a1.jpg", "astronaut/a3.jpg", "grace/g1.jpg"])
    photo = tmp_path / "me.jpg"
    photo.write_bytes(selfie("astronaut"))

    page.goto(f"/datasets/{world.slug}")
    page.get_by_role("link", name="Ask to be removed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Are you in "))
    page.get_by_label("Your e-mail address").fill(PERSON)
    page.get_by_label("What should be removed?").fill("Every picture of me, please.")
    page.get_by_label("A photo of yourself (optional)").set_input_files(str(photo))
    _shot(page, "1-ask")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    mail = text_of(mail_to(live, PERSON, "Confirm your removal request"))
    proof = re.search(r"https?://\S+/privacy/prove/\S+", mail).group(0)
    follow = re.search(r"https?://\S+/privacy/follow/\S+", mail).group(0)
    page.goto(proof)
    page.get_by_role("button", name="Confirm my request").click()
    expect(page.get_by_role("heading", name="Your request is received")).to_be_visible()

    desk_context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    desk = desk_context.new_page()
    log_in(desk, world.curator.email)
    desk.get_by_role("link", name="Privacy desk").click()
    expect(desk.locator("#privacy-queue")).to_contain_text("days left")
    desk.locator("#privacy-queue a").first.click()
    expect(desk.locator("#matches li")).to_have_count(3)  # found at proof by face; Grace Hopper's are not
    expect(desk.locator("#matches")).to_contain_text("face · 0.9")
    expect(desk.locator("#matches")).not_to_contain_text("grace/")
    expect(desk.get_by_text("searched, deleted")).to_be_visible()  # the person's photo is gone
    for n in range(3):
        expect(desk.locator("#matches img").nth(n)).to_have_js_property("complete", True)
    desk.get_by_label("astronaut", exact=True).check()  # every file found of that subject
    desk.get_by_role("button", name="Save the selection").click()
    expect(desk.locator("#matches input[name=item]:checked")).to_have_count(3)
    _shot(desk, "2-desk")
    desk.get_by_label("Note to the requester (optional)").fill("Removed from the dataset, with our apologies.")
    desk.get_by_role("button", name="Remove the selected files").click()
    expect(desk.get_by_role("status").first).to_contain_text("Done: the files are removed.")
    desk_context.close()

    notice_mail = text_of(mail_to(live, holder.email, "Delete 2 file(s)"))
    notice_link = re.search(r"https?://\S+/privacy/notices/\d+", notice_mail).group(0)
    assert "accord privacy apply" in notice_mail
    mail_to(live, bystander.email, "")  # the bystander is told the dataset changed, with nothing to delete
    holder_context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    licensee = holder_context.new_page()
    log_in(licensee, holder.email)
    licensee.goto(notice_link)
    expect(licensee.locator("#notice-files tbody tr")).to_have_count(2)  # what they received, not g1
    _shot(licensee, "3-notice")
    licensee.get_by_role("button", name="Confirm the deletion").click()
    expect(licensee.get_by_role("alert")).to_contain_text("tick the statement")
    licensee.locator("#confirm").check()
    licensee.get_by_role("button", name="Confirm the deletion").click()
    expect(licensee.locator("#attested")).to_be_visible()
    holder_context.close()

    page.goto(follow)
    expect(page.get_by_role("heading", name="What was done")).to_be_visible()
    expect(page.locator("body")).to_contain_text("3 files with you in them were removed")
    _shot(page, "4-done")

"""Anonymisation in headless Chromium: a curator anonymises a published version of street scenes from the dataset's
admin page (pixelated), reads the report and the contact sheet on the run's page, draws a box with the mouse over a
face the detector missed (an upside-down astronaut) on the file flagged for its faint tiny face, leaves the
unreadable file out, and publishes; the public dataset page then shows the report's numbers and no file name.
Screenshots for the README: docs/screenshots/anonymise-<step>.png.

The demo's versions are bigger than a browser test needs, and a new version of a demo dataset would change what
the other journeys see, so the dataset is built here from tests/privacy/scenes.py through the services."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from accord.catalog import service as catalog
from accord.identity import service as identity
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_access_journey import log_in
from tests.identity.helpers import make_user
from tests.privacy.scenes import TRUE_FACE, background, dataset, face_at, files, resized

pytestmark = pytest.mark.e2e
SLUG = "street-crowds"
CURATOR = "curator@street-crowds.example.org"
CROWD = "street/crowd.jpg"
WIDTH = 800  # of every scene: the canvas maps the mouse back to these pixels


def _shot(target, step: str, *, full_page: bool = True) -> None:
    """A page (its full length, or what the window shows) or one element of it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"anonymise-{step}.png")
    if hasattr(target, "goto"):
        target.screenshot(path=path, full_page=full_page)
    else:
        target.screenshot(path=path)


def crowd() -> tuple[bytes, tuple[float, float, float, float]]:
    """A street scene with EXIF and GPS tags: a 14 px astronaut face the detector finds with a score just over its
    threshold (so the file is flagged), and an upside-down astronaut it misses; that face's box in the scene."""
    img = background(12, (WIDTH, 600))
    at, side = (480, 140), 220
    img.paste(resized("astronaut", side).rotate(180), at)
    face_at(img, "astronaut", face=14, at=(300, 200))
    k = side / 512  # the astronaut photo is 512 px square; turned over, its face box is mirrored both ways
    x0, y0, x1, y1 = TRUE_FACE["astronaut"]
    missed = (at[0] + (512 - x1) * k, at[1] + (512 - y1) * k, at[0] + (512 - x0) * k, at[1] + (512 - y0) * k)
    exif = Image.Exif()
    exif[0x010F] = "Example Camera Co."
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 40.0)})
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif)
    return buf.getvalue(), missed


def street_crowds(rt, tmp_path) -> tuple[dict[str, bytes], tuple[float, float, float, float]]:
    data, missed = crowd()
    contents = files({CROWD: data})  # with broken/cut.jpg: a JPEG cut short, flagged as unreadable
    ds_id, _version_id, _items = dataset(rt, tmp_path, SLUG, contents=contents)
    curator = make_user(rt, CURATOR)
    with rt.session() as db:
        identity.grant_role(db, identity.user_by_id(db, curator.id), "curator", dataset_id=ds_id)
    return contents, missed


def _stat(scope, term: str):
    """The figure after `term` in a report's list, on a page or in a section of it."""
    term_ = (scope if hasattr(scope, "goto") else scope.page).get_by_text(term, exact=True)
    return scope.locator(".stats div").filter(has=term_).locator("dd")


def _mean_change(before: bytes, after: bytes, box) -> float:
    """Mean absolute change of the pixels inside `box`, 0 to 255."""
    a, b = (
        np.asarray(Image.open(io.BytesIO(x)).convert("L").crop(tuple(round(v) for v in box)), float)
        for x in (before, after)
    )
    return float(np.abs(a - b).mean())


def test_a_curator_anonymises_draws_a_missed_face_and_publishes_numbers_only(page, browser, live, tmp_path):
    contents, missed = street_crowds(live.rt, tmp_path)
    log_in(page, CURATOR)
    page.goto(f"/admin/datasets/{SLUG}")
    page.locator("details.anonymise summary", has_text="Anonymise 1.0").click()
    page.get_by_label("Blur", exact=True).select_option("pixelate")
    expect(page.locator("input[name=second_pass]")).not_to_be_checked()
    page.get_by_role("button", name="Anonymise 1.0", exact=True).click()

    # jobs run inline here: the run has gone through every file when its page opens
    expect(page).to_have_url(re.compile(r"/admin/anonymisations/\d+$"))
    where = page.url
    expect(page.get_by_role("heading", level=1)).to_contain_text("Waiting for your look")
    report = page.locator("section[aria-labelledby=report-h]")
    expect(_stat(report, "Images scanned")).to_have_text("6")  # the 7 files but the cut JPEG, counted apart
    expect(_stat(report, "Faces blurred")).to_have_text("5")  # 4 scenes' faces and the tiny one; not the upside-down
    expect(_stat(report, "Flagged for a look")).to_have_text("2 (0 looked at)")
    expect(_stat(report, "Unreadable images")).to_have_text("1")
    expect(report).to_contain_text("GPS (1)")
    expect(report).to_contain_text("Blur: pixelate")
    sheet = page.locator("img.contact-sheet")
    expect(sheet).to_have_js_property("complete", True)  # drawn on request: loaded before the shot
    assert sheet.evaluate("img => img.naturalWidth") > 500  # a broken image is complete too, with no width
    _shot(page, "1-run", full_page=False)  # the report and the sheet; the flagged files follow

    sheet.scroll_into_view_if_needed()
    _shot(page.locator("section[aria-labelledby=sheet-h]"), "2-contact-sheet")
    page.locator("section[aria-labelledby=sheet-h] a").click()  # the sheet on its own, as the link opens it
    expect(page).to_have_url(f"{where}/contact-sheet.png")
    assert page.evaluate("document.contentType") == "image/png"
    assert page.locator("img").evaluate("img => img.complete && img.naturalWidth") > 500
    page.go_back()

    flagged = page.locator("article.flagged-file")
    expect(flagged).to_have_count(2)
    scene = flagged.filter(has_text=CROWD)
    expect(scene).to_contain_text("A face scored near the threshold")
    canvas = scene.locator(".box-draw canvas")
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_be_visible()  # shown once the original has loaded into it
    for img in scene.locator(".before-after img").all():
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
    canvas.scroll_into_view_if_needed()
    frame = canvas.bounding_box()
    k = frame["width"] / WIDTH
    x0, y0, x1, y1 = missed[0] - 8, missed[1] - 8, missed[2] + 8, missed[3] + 8  # a little round the face
    page.mouse.move(frame["x"] + x0 * k, frame["y"] + y0 * k)
    page.mouse.down()
    page.mouse.move(frame["x"] + x1 * k, frame["y"] + y1 * k, steps=8)
    page.mouse.up()
    typed = scene.locator("textarea[name=boxes]").input_value().strip()
    assert re.fullmatch(r"\d+, \d+, \d+, \d+", typed), typed
    drawn = [int(v) for v in typed.split(", ")]
    assert all(abs(a - b) <= 2 for a, b in zip(drawn, (x0, y0, x1, y1), strict=True)), (drawn, missed)
    _shot(scene, "3-review")
    scene.get_by_role("button", name="Blur these boxes too").click()
    expect(page.get_by_role("status").first).to_have_text("Saved.")
    scene = page.locator("article.flagged-file").filter(has_text=CROWD)
    expect(scene.locator("h3 .badge")).to_have_text("boxes blurred")
    expect(scene.locator("textarea[name=boxes]")).to_have_value(typed + "\n")  # the saved box, shown again

    before, after = (
        page.request.get(scene.locator(f".before-after img >> nth={n}").get_attribute("src")) for n in (0, 1)
    )
    assert before.headers["cache-control"] == "private, no-store"
    assert _mean_change(before.body(), after.body(), missed) > 20  # the drawn face is pixelated in the new file
    corner = (20, 500, 200, 580)  # bare background: only recompressed
    assert _mean_change(before.body(), after.body(), corner) < 4

    broken = page.locator("article.flagged-file").filter(has_text="broken/cut.jpg")
    expect(broken).to_contain_text("Unreadable image")
    expect(broken.locator("canvas")).to_have_count(0)  # nothing to draw on
    broken.get_by_role("button", name="Leave it out of 1.0-anon").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ready to publish")
    expect(_stat(page, "Faces blurred")).to_have_text("6")
    page.get_by_role("button", name="Publish version 1.0-anon").click()
    expect(page).to_have_url(re.compile(f"/admin/datasets/{SLUG}"))
    expect(page.locator("article.version", has_text="1.0-anon").locator(".badge").first).to_have_text("published")
    page.goto(where)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Published")
    expect(page.locator("form.review-file")).to_have_count(0)  # nothing to change once published
    with live.rt.session() as db:
        anon = catalog.version_by_label(db, SLUG, "1.0-anon")
        kept = {i.path for i in catalog.list_items(db, anon.id, limit=100)}
    assert kept == set(contents) - {"broken/cut.jpg"}

    public_context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    public = public_context.new_page()  # a visitor with no account
    public.goto(f"/datasets/{SLUG}")
    shown = public.locator("section.privacy-report")
    expect(shown.get_by_role("heading")).to_have_text("Privacy report of version 1.0-anon")
    expect(_stat(shown, "Faces blurred")).to_have_text("6")
    expect(_stat(shown, "Checked by a person")).to_have_text("2 of 2 flagged")
    body = public.locator("body").inner_text()
    for path in contents:
        assert path not in body and path.rsplit("/", 1)[1] not in body, path
    assert public.request.get(f"{where}/contact-sheet.png", max_redirects=0).status != 200  # curators only
    shown.scroll_into_view_if_needed()
    _shot(public, "4-public")
    public_context.close()

    with live.rt.session() as db:  # the live catalogue is shared: later journeys count the demo's datasets
        for label in ("1.0-anon", "1.0"):
            catalog.withdraw(db, catalog.version_by_label(db, SLUG, label).id, actor="cli", reason="journey over")

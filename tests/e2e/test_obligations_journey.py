"""Obligations after the download, in headless Chromium. An LLVIP licensee declares new annotations from the
dataset's page and asks for them to be listed; a reviewer lists them from the queue the review page links to; a
visitor finds them on LLVIP's public page, credited, and on their own page the original's citation. A CION-AL
licensee whose grant is limited to their site's networks cannot download from here; from the refusal they go to
ask for a second unit of their organisation with its networks; a reviewer approves with a condition, and the
download then works from the new unit's network (the file's bytes match the catalogue's sha256). Screenshots for
the README: docs/screenshots/obligations-<step>.png.

Grants are made through the services, as the other journeys do; the listing is taken down at the end, so the
shared catalogue's pages look as they did to the journeys that follow."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import expect

from accord.catalog import service as catalog
from accord.db import unit_of_work
from accord.entitlements import service as entitlements
from accord.identity import service as identity
from accord.obligations import service as obligations
from accord.policy import service as policies
from tests.access.helpers import PASSWORD
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_access_journey import log_in

pytestmark = pytest.mark.e2e
ANNOTATIONS = "LLVIP pedestrian poses"
AUTHORS = "Marta Okafor and Ren Ito"
RELATION = "Keypoints for every pedestrian box of LLVIP 1.0's infrared images; no image is copied."


def _shot(page, step: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"obligations-{step}.png"), full_page=full_page)


def _people(rt, slug: str, licensee: str, reviewer: str, *, unit: str, networks=()) -> None:
    """A licensee holding a grant in force on the dataset's current terms, and a reviewer of the dataset."""
    with rt.session() as db:
        ds = catalog.dataset_by_slug(db, slug)
        holder = identity.create_user(db, email=licensee, name=licensee.split("@")[0].title(), password=PASSWORD)
        answers = identity.create_user(db, email=reviewer, name="Rosa Reviewer", password=PASSWORD, verified=True)
        identity.grant_role(db, answers, "reviewer", dataset_id=ds.id)
        with unit_of_work(db):
            entitlements.grant(
                db,
                dataset_id=ds.id,
                user_id=holder.id,
                actor="cli",
                policy_version=policies.current(db, ds.id).version,
                unit=unit,
                networks=networks,
            )


def _new_page(browser, live):
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


def test_llvip_annotations_are_declared_listed_by_a_reviewer_and_credited_on_the_public_page(page, browser, live):
    _people(live.rt, "llvip", "marta@vision.example.org", "rosa@llvip.example.org", unit="Vision Group")
    with live.rt.session() as db:
        llvip = catalog.dataset_by_slug(db, "llvip")
        citation = policies.current(db, llvip.id).policy.citations[0].text
        title, label = llvip.title, catalog.latest_published(db, llvip.id).label

    log_in(page, "marta@vision.example.org")
    page.goto("/datasets/llvip")
    page.get_by_role("link", name="Your obligations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Your obligations for LLVIP"))
    expect(page.locator("#standing")).to_contain_text("Your access is in force for Vision Group")
    page.get_by_text("Declare a derivative").click()
    page.get_by_label("What it is").select_option(label="New annotations or labels")
    page.get_by_label("Name", exact=True).fill(ANNOTATIONS)
    page.locator("#f-derivatives-relation").fill(RELATION)
    page.get_by_label("Where it lives (an address, or words)").fill("https://poses.example.org/llvip")
    page.get_by_label("Its licence").fill("CC BY 4.0 (the annotations only)")
    page.get_by_label("Its authors, as they should be credited").fill(AUTHORS)
    page.get_by_label("List it on the dataset's page, crediting its authors").check()
    page.get_by_role("button", name="Declare it").click()
    expect(page.get_by_role("status")).to_have_text("Your derivative is on record.")
    declared = page.locator("#derivatives li").filter(has_text=ANNOTATIONS)
    expect(declared.locator(".badge")).to_have_text("on record")
    expect(declared.get_by_role("link", name="listed")).to_have_count(0)  # not before the custodian lists it
    _shot(page, "1-declare")

    review = _new_page(browser, live)
    log_in(review, "rosa@llvip.example.org")
    review.goto("/review")
    review.get_by_role("link", name="Derivatives and requests to answer").click()
    expect(review).to_have_url(re.compile(r"/review/obligations$"))
    asked = review.locator("section.obligation").filter(has_text=ANNOTATIONS)
    expect(asked).to_contain_text("Its authors ask to be listed on the dataset's page.")
    expect(asked).to_contain_text(f"Credit: {AUTHORS}.")
    expect(asked).to_contain_text(RELATION)
    asked.get_by_role("button", name="List it", exact=True).click()
    expect(review.get_by_role("status")).to_have_text("The listing changed.")
    expect(review.locator("section.obligation").filter(has_text=ANNOTATIONS)).to_have_count(0)  # answered
    review.context.close()

    public = _new_page(browser, live)  # a visitor with no account
    public.goto("/datasets/llvip")
    built = public.locator("section.derivatives")
    expect(built.get_by_role("heading")).to_have_text("Built on this dataset")
    expect(built.locator("li").filter(has_text=ANNOTATIONS)).to_contain_text(f"by {AUTHORS}")
    built.scroll_into_view_if_needed()
    _shot(public, "2-listed", full_page=False)
    built.get_by_role("link", name=ANNOTATIONS).click()
    expect(public.get_by_role("heading", level=1)).to_have_text(ANNOTATIONS)
    expect(public.locator("p.lead")).to_have_text(
        f"New annotations or labels, made from {title} version {label} by {AUTHORS}."
    )
    cite = public.locator("section.cite")
    expect(cite.get_by_role("heading")).to_have_text("Cite the original")
    expect(cite.locator("blockquote.citation")).to_have_text(citation)
    public.context.close()

    page.reload()  # the licensee's record now links the listing
    expect(
        page.locator("#derivatives li").filter(has_text=ANNOTATIONS).get_by_role("link", name="listed")
    ).to_be_visible()

    with live.rt.session() as db:  # the shared catalogue: LLVIP's page as the later journeys expect it
        for row in obligations.listed_derivatives(db, catalog.dataset_by_slug(db, "llvip").id):
            obligations.list_derivative(db, row.id, listed=False, actor="cli")


def test_a_cion_al_licensee_is_approved_for_a_second_unit_and_can_then_download_from_its_network(page, browser, live):
    _people(
        live.rt,
        "cion-al",
        "tiago@ucl.example.ac.uk",
        "rosa@cion-al.example.org",
        unit="UCL Computer Science, London",
        networks=["192.0.2.0/24"],  # the London site's; the browser comes from 127.0.0.1
    )
    log_in(page, "tiago@ucl.example.ac.uk")
    page.goto("/datasets/cion-al/download")
    expect(page.get_by_role("alert")).to_contain_text(
        "This licence allows downloads only from the site named in the application, not from 127.0.0.1."
    )

    page.get_by_role("link", name="Ask to add another unit and its networks").click()
    expect(page).to_have_url(re.compile(r"/datasets/cion-al/obligations#requests$"))
    page.get_by_text("Ask for approval").click()
    page.get_by_label("What you ask for").select_option(label="Use the data in another unit of your organisation")
    page.get_by_label("What you want to do, and why").fill(
        "Our Porto lab joins the re-identification benchmark and needs the same data, under the same terms."
    )
    page.get_by_label("The other unit").fill("Porto lab")
    page.get_by_label(re.compile(r"^Its networks \(CIDR ranges, one a line\)")).fill("127.0.0.0/8")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("status")).to_have_text("Your request was sent to the custodian.")
    asked = page.locator("#requests li").filter(has_text="Porto lab")
    expect(asked.locator(".badge")).to_have_text("waiting for the custodian")

    review = _new_page(browser, live)
    log_in(review, "rosa@cion-al.example.org")
    review.goto("/review/obligations")
    request = review.locator("section.obligation").filter(has_text="Porto lab")
    expect(request.get_by_role("heading")).to_have_text(
        re.compile("^Use the data in another unit of your organisation · CION-AL")
    )
    expect(request).to_contain_text("For Porto lab, downloading from 127.0.0.0/8.")
    expect(request.get_by_label("Networks to allow (all or some of those asked, one a line)")).to_have_value(
        "127.0.0.0/8"
    )
    conditions = request.get_by_label("Conditions of an approval (optional)")
    conditions.fill("The Porto lab keeps the data on its own servers and names a person responsible for it.")
    conditions.blur()  # (no focus ring in the picture)
    _shot(review, "3-request")
    request.get_by_role("button", name="Approve").click()
    expect(review.get_by_role("status")).to_have_text("Answered; the licensee is told.")
    expect(review.locator("#nothing")).to_have_text("Nothing is waiting.")
    review.context.close()

    page.reload()
    expect(page.locator("#standing")).to_contain_text(
        "Your access is in force for UCL Computer Science, London, and for Porto lab (approved)."
    )
    approved = page.locator("#requests li").filter(has_text="Porto lab")
    expect(approved.locator(".badge")).to_have_text("approved")
    expect(approved).to_contain_text("On these conditions: The Porto lab keeps the data on its own servers")

    page.goto("/datasets/cion-al/download")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Download CION-AL"))
    first = page.locator("table.files tbody th a").first
    path = first.inner_text()
    answer = page.request.get(first.get_attribute("href"))  # the browser's own session and address
    assert answer.ok, (answer.status, answer.text()[:300])
    with live.rt.session() as db:
        version = catalog.latest_published(db, catalog.dataset_by_slug(db, "cion-al").id)
        items = {i.path: i.sha256 for i in catalog.list_items(db, version.id, offset=0, limit=1000)}
    assert hashlib.sha256(answer.body()).hexdigest() == items[path]

"""Kudos end to end in Chromium: a member gives kudos to a colleague for a goal and a
value; it tops the feed; people react; the colleague is notified; the other
organisation sees none of it. Screenshots of the feed at 1280 and 390 px wide."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from core.tenancy import tenant_context
from feedback.models import CompanyValue, Recognition
from tests.browser.conftest import log_in, sideways
from tests.factories import CycleFactory, GoalFactory

pytestmark = pytest.mark.browser

MESSAGE = "Carol turned the launch around in a weekend. Thank you!"


def _shots() -> Path:
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_a_member_gives_kudos_for_a_goal_and_a_value(transactional_db, cast, new_page):
    cycle = CycleFactory(org=cast.org, name="Q4")
    GoalFactory(owner=cast.member2, cycle=cycle, status="active", title="Ship the mobile app")
    with tenant_context(cast.org.pk):
        CompanyValue.objects.create(org=cast.org, name="Customers first", emoji="🤝",
                                    colour="#b42318")  # fmt: skip

    # Bob gives Carol kudos from the feed.
    page, audit = new_page()
    log_in(page, audit, cast.member)
    page.get_by_role("link", name="Recognition").first.click()
    expect(page.get_by_role("heading", level=1, name="Recognition")).to_be_visible()
    audit.check(page)
    page.get_by_role("link", name="Give kudos").click()
    audit.check(page)
    page.get_by_label("Add a colleague").fill("member2@acme.test")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("list", name="Chosen colleagues")).to_contain_text("Carol Member")
    audit.check(page)
    page.screenshot(path=str(_shots() / "recognition-give-1280.png"), full_page=True)
    page.get_by_label(re.compile(r"^What did they do well")).fill(MESSAGE)
    page.get_by_label("Company value").select_option(label="Customers first")
    page.get_by_label(re.compile("Ship the mobile app")).check()
    page.get_by_role("button", name="Give kudos").click()

    # It tops the feed, with the value and the goal.
    page.wait_for_url(re.compile(r"/o/acme/recognition/"))
    first = page.locator(".kudos-list > li").first
    expect(first).to_contain_text(MESSAGE)
    expect(first).to_contain_text("Customers first")
    expect(first.get_by_role("link", name="Ship the mobile app")).to_be_visible()
    expect(first.get_by_role("heading", level=2)).to_contain_text("Bob Member (Acme)")
    audit.check(page)

    # Bob applauds (htmx swaps the reactions in place).
    clap = first.get_by_role("button", name=re.compile("Applause"))
    expect(clap).to_have_attribute("aria-pressed", "false")
    clap.click()
    expect(first.get_by_role("button", name=re.compile("Applause"))).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(first.get_by_role("button", name=re.compile("Applause"))).to_contain_text("1")
    audit.check(page)
    page.screenshot(path=str(_shots() / "recognition-feed-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert sideways(page) == []
    audit.check(page)
    page.screenshot(path=str(_shots() / "recognition-feed-390.png"), full_page=True)

    # Bob filters by Carol's unit: the box suggests units as he types.
    page.get_by_label("Unit").press_sequentially("Platf")
    expect(page.locator("#unit-options option")).to_have_attribute(
        "value", "Platform (in Engineering)"
    )
    page.get_by_label("Unit").fill("Platform (in Engineering)")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"unit_name=Platform"))
    expect(page.locator(".kudos-list > li").first).to_contain_text(MESSAGE)
    expect(page.get_by_label("Unit")).to_have_value("Platform (in Engineering)")
    assert sideways(page) == []
    audit.check(page)

    with tenant_context(cast.org.pk):
        kudos = Recognition.objects.get(org=cast.org)

    # Carol is notified, follows the link and reacts too.
    carol, carol_audit = new_page()
    log_in(carol, carol_audit, cast.member2)
    carol.goto("/o/acme/notifications/")
    note = carol.get_by_role(
        "link", name=re.compile("Bob Member \\(Acme\\) recognised you for Customers first")
    )
    expect(note).to_be_visible()
    carol_audit.check(carol)
    note.click()
    carol.wait_for_url(re.compile(rf"/o/acme/recognition/{kudos.pk}/"))
    expect(carol.get_by_text(MESSAGE)).to_be_visible()
    carol_audit.check(carol)
    carol.get_by_role("button", name=re.compile("Applause")).click()
    expect(carol.get_by_role("button", name=re.compile("Applause"))).to_contain_text("2")
    carol_audit.check(carol)

    # Globex sees none of it.
    other, other_audit = new_page()
    log_in(other, other_audit, cast.other_member)
    other.goto("/o/globex/recognition/")
    expect(other.get_by_text("No kudos yet")).to_be_visible()
    assert MESSAGE not in other.content()
    other_audit.check(other)
    response = other.goto(f"/o/acme/recognition/{kudos.pk}/")
    assert response is not None and response.status == 404
    other_audit.check(other)
    response = other.goto(f"/o/globex/recognition/{kudos.pk}/")
    assert response is not None and response.status == 404
    other_audit.check(other)

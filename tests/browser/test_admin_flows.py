"""An admin shapes the unit tree and invites a person, who joins: in a real browser."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from core.tenancy import tenant_context
from orgs.models import Membership, Unit
from orgs.selectors import MENU_INDENT
from orgs.services import UNIT_MOVE_INTO_ITSELF
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

INVITATION_LINK = re.compile(r"https?://\S+/join/\S+")


def _units_page(page: Page, audit) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Units").click()
    expect(page.get_by_role("heading", level=1, name="Units")).to_be_visible()
    audit.check(page)


def _row(page: Page, unit_name: str):
    return page.locator("table.unit-tree tbody tr").filter(
        has=page.get_by_role("rowheader", name=unit_name, exact=True)
    )


def test_it_lets_an_admin_create_a_unit_and_move_it(transactional_db, cast, page, audit):
    log_in(page, audit, cast.admin)
    _units_page(page, audit)

    new_unit = page.get_by_role("region", name="New unit")
    new_unit.get_by_label("Name").fill("Research")
    new_unit.get_by_role("button", name="Create unit").click()
    expect(page.get_by_role("status")).to_contain_text("Unit “Research” created.")
    expect(_row(page, "Research")).to_have_class(re.compile(r"\bdepth-0\b"))
    audit.check(page)

    page.get_by_role("link", name="Move or edit Research").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit “Research”")
    audit.check(page)
    page.get_by_label("Part of").select_option(label=MENU_INDENT + "Engineering")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Unit “Research” saved.")
    expect(_row(page, "Research")).to_have_class(re.compile(r"\bdepth-2\b"))
    audit.check(page)
    with tenant_context(cast.org.pk):
        research = Unit.objects.get(org=cast.org, name="Research")
    assert research.parent_id == cast.engineering.pk


def test_it_refuses_to_move_a_unit_under_its_own_sub_unit(transactional_db, cast, page, audit):
    log_in(page, audit, cast.admin)
    _units_page(page, audit)

    page.get_by_role("link", name="Move or edit Engineering").click()
    audit.check(page)
    page.get_by_label("Part of").select_option(label=MENU_INDENT * 2 + "Platform")
    page.get_by_role("button", name="Save").click()

    expect(page.locator(".field-invalid .error")).to_have_text(f"Error: {UNIT_MOVE_INTO_ITSELF}")
    expect(page.get_by_label("Part of")).to_have_accessible_description(
        re.compile(re.escape(UNIT_MOVE_INTO_ITSELF))
    )
    audit.check(page)
    with tenant_context(cast.org.pk):
        assert Unit.objects.get(pk=cast.engineering.pk).parent_id == cast.company.pk


def test_it_renames_a_unit_in_place_without_reloading(transactional_db, cast, page, audit):
    log_in(page, audit, cast.admin)
    _units_page(page, audit)
    page.evaluate("window.cairnSamePage = true")

    page.get_by_role("link", name="Rename Platform").click()
    name = page.get_by_label("New name for “Platform”")
    expect(name).to_be_focused()
    audit.check(page)

    name.fill("")
    page.get_by_role("button", name="Save").click()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description("Error: This field is required.")
    audit.check(page)

    name.fill("Platform Team")
    page.get_by_role("button", name="Save").click()

    row = page.locator(f"#unit-{cast.platform.pk}")
    expect(row.get_by_role("rowheader", name="Platform Team", exact=True)).to_be_visible()
    expect(row).to_have_class(re.compile(r"\bdepth-2\b"))
    expect(row.get_by_role("link", name="Rename Platform Team")).to_be_visible()
    assert page.evaluate("window.cairnSamePage") is True, "the page reloaded"
    audit.check(page)
    with tenant_context(cast.org.pk):
        assert Unit.objects.get(pk=cast.platform.pk).name == "Platform Team"


def test_it_lets_an_invited_person_join(transactional_db, cast, new_page, live_server):
    page, audit = new_page()
    log_in(page, audit, cast.admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    audit.check(page)
    page.get_by_role("link", name="Invite people").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite a person")
    audit.check(page)

    page.get_by_label(re.compile(r"^Email")).fill("dana@example.test")
    page.get_by_label("Unit", exact=True).select_option(label=MENU_INDENT + "Engineering")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to dana@example.test.")
    audit.check(page)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dana@example.test"]
    link = urlsplit(INVITATION_LINK.search(mail.outbox[0].body).group(0))

    invitee, invitee_audit = new_page()
    invitee.goto(link.path)
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Acme")
    invitee_audit.check(invitee)
    invitee.get_by_label(re.compile(r"^Full name")).fill("Dana Newcomer")
    invitee.get_by_label(re.compile(r"^Password \(required\)")).fill("a-long-and-new-secret")
    invitee.get_by_label(re.compile(r"^Password again")).fill("a-long-and-new-secret")
    invitee.get_by_role("button", name="Create my account and join").click()

    invitee.wait_for_url(f"{live_server.url}/o/acme/")
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Acme")
    expect(invitee.get_by_role("status")).to_contain_text("Welcome to Acme.")
    invitee_audit.check(invitee)
    with tenant_context(cast.org.pk):
        joined = Membership.objects.select_related("user", "unit").get(
            org=cast.org, user__email="dana@example.test"
        )
    assert (joined.user.full_name, joined.unit_id) == ("Dana Newcomer", cast.engineering.pk)

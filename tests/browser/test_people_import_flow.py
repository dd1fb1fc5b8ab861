"""An admin imports people from a CSV file: new people are added and invited, an
existing account is only invited; then a person changes their password. In a real browser."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from conftest import PASSWORD
from core.tenancy import tenant_context
from orgs.models import Invitation, Membership, User
from orgs.views import INVITATION_REVOKED
from orgs.views_profile import PASSWORD_CHANGED
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

CSV = b"email,full_name,unit,role\ndana@example.test,Dana New,Engineering,member\n" + (
    b"member@globex.test,Bob,Engineering,member\n"
)


def test_an_admin_imports_people_and_manages_the_invitations(transactional_db, cast, page, audit):
    log_in(page, audit, cast.admin)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Import from CSV").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import people from a CSV file")
    audit.check(page)

    page.get_by_label(re.compile(r"^CSV file")).set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name="People to add")).to_be_visible()
    expect(page.get_by_role("heading", name="People to invite")).to_be_visible()
    invite = page.get_by_role("checkbox", name=re.compile(r"Email the people added"))
    expect(invite).to_be_checked()
    audit.check(page)

    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Imported: 1 person added, 1 person invited."
    )
    audit.check(page)
    with tenant_context(cast.org.pk):
        emails = set(Membership.objects.filter(org=cast.org).values_list("user__email", flat=True))
    assert "dana@example.test" in emails and "member@globex.test" not in emails

    page.get_by_role("link", name="Invitations waiting").click()
    audit.check(page)
    pending = page.get_by_role("region", name="Invitations waiting for an answer")
    expect(pending).to_contain_text("dana@example.test")
    expect(pending).to_contain_text("member@globex.test")
    page.get_by_role("button", name="Withdraw the invitation for member@globex.test").click()
    expect(page.get_by_role("status")).to_contain_text(
        INVITATION_REVOKED.format(email="member@globex.test")
    )
    audit.check(page)
    with tenant_context(cast.org.pk):
        assert list(Invitation.objects.values_list("email", flat=True)) == ["dana@example.test"]


def test_a_person_changes_their_password(transactional_db, cast, page, audit):
    log_in(page, audit, cast.member)
    page.get_by_role("link", name="Your profile").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    audit.check(page)

    page.get_by_label(re.compile(r"^Old password")).fill("not-my-password")
    page.get_by_label(re.compile(r"^New password \(required\)")).fill("a-fresh-long-passphrase")
    page.get_by_label(re.compile(r"^New password confirmation")).fill("a-fresh-long-passphrase")
    page.get_by_role("button", name="Change password").click()
    summary = page.locator("main .form-errors")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Your old password was entered incorrectly.")
    audit.check(page)

    page.get_by_label(re.compile(r"^Old password")).fill(PASSWORD)
    page.get_by_label(re.compile(r"^New password \(required\)")).fill("a-fresh-long-passphrase")
    page.get_by_label(re.compile(r"^New password confirmation")).fill("a-fresh-long-passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text(PASSWORD_CHANGED)
    audit.check(page)
    assert User.objects.get(pk=cast.member.user_id).check_password("a-fresh-long-passphrase")
    assert mail.outbox == []

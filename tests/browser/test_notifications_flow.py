"""A manager approves a member's goal: the member's bell count rises, the inbox says who
did what, marking it read clears the bell, and the email is in the outbox."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from notifications.tests import world
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_an_approval_raises_the_members_bell_and_emails_them(transactional_db, cast, new_page):
    goal = world.submitted_goal(cast, world.objective(cast))
    member, member_audit = new_page()
    log_in(member, member_audit, cast.member)
    bell = member.locator("#bell")
    expect(bell).to_be_visible()
    expect(bell.locator(".bell-count")).to_have_count(0)

    manager, manager_audit = new_page()
    log_in(manager, manager_audit, cast.manager)
    manager.goto("/o/acme/goals/approvals/")
    manager_audit.check(manager)
    mail.outbox.clear()
    manager.locator(f"#approval-{goal.pk}").get_by_role(
        "button", name=re.compile(r"^Approve")
    ).click()
    expect(manager.locator(f"#approval-{goal.pk}")).to_have_text(re.compile(r"Done: Approved"))
    manager_audit.check(manager)

    member.reload()
    expect(bell.locator(".bell-count")).to_have_text("1 unread")
    member_audit.check(member)
    bell.click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Notifications")
    entry = member.locator(".notification.unread")
    expect(entry).to_contain_text(f"Mallory Manager (Acme) approved your goal “{world.TITLE}”")
    member_audit.check(member)
    entry.get_by_role("button", name=re.compile(r"^Mark as read")).click()
    expect(member.locator(".notification.unread")).to_have_count(0)
    expect(bell.locator(".bell-count")).to_have_count(0)
    member_audit.check(member)

    (email,) = [m for m in mail.outbox if m.to == ["member@acme.test"]]
    assert email.subject == f"Your goal was approved: {world.TITLE}"
    assert f"/o/acme/goals/{goal.pk}/" in email.body

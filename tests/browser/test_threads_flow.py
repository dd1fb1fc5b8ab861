"""A manager comments on a report's check-in, mentioning a colleague with the @
suggestions; the member is notified, follows the link to the comment, replies and
fixes a typo in place; an admin removes the reply and the marker shows. Screenshots
of the goal page with its thread at 1280 and 390 pixels wide."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.tenancy import tenant_context
from goals.models import GoalStatus
from tests.browser.conftest import log_in
from tests.factories import CheckInFactory, GoalFactory

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("CAIRN_VAR_DIR") or tempfile.gettempdir()) / "screenshots"


def test_a_manager_comments_on_a_check_in_and_the_member_replies(transactional_db, cast, new_page):
    goal = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, title="Grow revenue")
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
    checkin = CheckInFactory(key_result=kr, author=cast.member, note="Two deals closed")

    # The manager opens the check-in history and expands the check-in's thread in place.
    manager, manager_audit = new_page()
    log_in(manager, manager_audit, cast.manager)
    manager.goto(f"/o/acme/goals/key-results/{kr.pk}/history/")
    manager_audit.check(manager)
    manager.get_by_role("link", name=re.compile(r"^0 comments")).click()
    thread = manager.locator(f"#thread-checkin-{checkin.pk}")
    expect(thread).to_be_visible()
    box = thread.get_by_label("Comment on this check-in")
    box.click()
    box.press_sequentially("Great pace! @Car")
    suggestions = thread.get_by_role("listbox", name="Colleagues to mention")
    expect(suggestions.get_by_role("option", name=re.compile("Carol Member"))).to_be_visible()
    manager_audit.check(manager)
    SHOTS.mkdir(parents=True, exist_ok=True)
    thread.screenshot(path=str(SHOTS / "thread-suggestions-1280.png"), caret="initial")
    box.press("Enter")  # the first suggestion, chosen with the keyboard
    expect(box).to_have_value("Great pace! @Carol Member (Acme) ")
    box.press_sequentially("can you share the deck?")
    thread.get_by_role("button", name="Post comment").click()
    expect(thread.locator(".thread-notice")).to_have_text("Comment posted.")
    mention = thread.get_by_role("link", name="@Carol Member (Acme)")
    expect(mention).to_have_attribute("href", f"/o/acme/colleagues/{cast.member2.pk}/")
    manager_audit.check(manager)

    # The member reads it from the inbox; the link leads to the comment on the goal page.
    member, member_audit = new_page()
    log_in(member, member_audit, cast.member)
    member.goto("/o/acme/notifications/")
    member_audit.check(member)
    entry = member.get_by_role(
        "link", name="Mallory Manager (Acme) commented on your check-in on “Grow revenue”"
    )
    expect(entry).to_be_visible()
    entry.click()
    member.wait_for_url(re.compile(rf"/o/acme/goals/{goal.pk}/#comment-\d+$"))
    anchor = member.url.rsplit("#", 1)[1]
    comment = member.locator(f"#{anchor}")
    expect(comment).to_contain_text("Great pace! @Carol Member (Acme) can you share the deck?")
    expect(comment).to_contain_text("On the check-in “")
    member_audit.check(member)

    # She replies in the check-in's thread (a plain page without htmx).
    comment.get_by_role("link", name="Reply on the check-in").click()
    member_audit.check(member)
    member.get_by_label("Comment on this check-in").fill("Sure, sending it today.")
    member.get_by_role("button", name="Post comment").click()
    reply = member.locator(".thread-entry").last
    expect(reply).to_contain_text("Sure, sending it today.")
    member_audit.check(member)
    # A typo fixed in place within the edit window: the thread says "edited".
    reply.get_by_role("link", name="Edit your comment").click()
    editor = member.get_by_label("Your comment")
    expect(editor).to_have_value("Sure, sending it today.")
    member_audit.check(member)
    editor.fill("Sure, sending it today!")
    member.get_by_role("button", name="Save comment").click()
    reply = member.locator(".thread-entry", has_text="Sure, sending it today!")
    expect(reply).to_contain_text("(edited)")
    member_audit.check(member)

    # The Carol mention went to Carol's inbox.
    carol, carol_audit = new_page()
    log_in(carol, carol_audit, cast.member2)
    carol.goto("/o/acme/notifications/")
    expect(
        carol.get_by_role(
            "link", name="Mallory Manager (Acme) mentioned you in a comment on “Grow revenue”"
        )
    ).to_be_visible()
    carol_audit.check(carol)

    # An admin removes the reply; the marker says who removed it.
    admin, admin_audit = new_page()
    log_in(admin, admin_audit, cast.admin)
    admin.goto(f"/o/acme/goals/{goal.pk}/")
    admin_audit.check(admin)
    reply = admin.locator(".thread-entry", has_text="Sure, sending it today!")
    admin.once("dialog", lambda dialog: dialog.accept())
    reply.get_by_role("button", name=re.compile(r"^Remove")).click()
    expect(admin.locator(".thread-removed")).to_contain_text(
        "Comment removed by Alice Admin (Acme)"
    )
    expect(admin.get_by_text("Sure, sending it today!")).to_have_count(0)
    admin_audit.check(admin)

    # The goal page with its thread, on a desktop and on a phone.
    admin.reload()
    admin_audit.check(admin)
    admin.screenshot(path=str(SHOTS / "thread-1280.png"), full_page=True, caret="initial")
    admin.set_viewport_size({"width": 390, "height": 844})
    admin.reload()
    fits = admin.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the goal page scrolls sideways at 390 px"
    admin_audit.check(admin)
    admin.screenshot(path=str(SHOTS / "thread-390.png"), full_page=True, caret="initial")
    admin.screenshot(path=str(SHOTS / "thread-390-top.png"), caret="initial")

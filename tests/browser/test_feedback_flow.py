"""Feedback end to end in Chromium.

Bob asks Carol for feedback on his goal; Carol finds the request in her inbox and
answers it; Mallory, Bob's manager, opens Bob's page and reads the answer; a member of
the other organisation opening the same addresses gets a 404 and sees none of it.
Screenshots of the feedback page and the person page at 1280 and 390 px wide.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from core.tenancy import tenant_context
from feedback.models import FeedbackRequest
from goals.models import GoalStatus
from tests.browser.conftest import log_in, sideways
from tests.factories import CycleFactory, GoalFactory

pytestmark = pytest.mark.browser

SHOTS = Path(settings.VAR_DIR) / "screenshots"
ANSWER = "The beta demo was clear; the rollout plan could name an owner per step."


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        assert sideways(page) == [], f"sideways on {page.url} at {width}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_requested_answer_reaches_the_managers_view_of_the_person_and_no_one_else(
    transactional_db, cast, new_page
):
    cycle = CycleFactory(org=cast.org, name="This quarter")
    goal = GoalFactory(
        owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED, title="Ship the beta"
    )
    due = timezone.localdate() + timedelta(days=5)

    # Bob asks Carol for feedback on his goal.
    bob, bob_audit = new_page()
    log_in(bob, bob_audit, cast.member)
    bob.get_by_role("link", name="Feedback", exact=True).first.click()
    expect(bob.get_by_role("heading", level=1)).to_have_text("Feedback")
    bob_audit.check(bob)
    bob.get_by_role("link", name="Request feedback").click()
    bob_audit.check(bob)
    bob.get_by_label("Colleagues to ask").fill("member2@acme.test")
    bob.get_by_label("About one goal").select_option(label="Ship the beta (This quarter)")
    bob.get_by_label("What would you like to hear about?").fill("How did the beta demo land?")
    bob.get_by_label("Answer by").fill(due.isoformat())
    bob.get_by_role("button", name="Send request").click()
    expect(bob.get_by_text("Request sent to 1 colleague.")).to_be_visible()
    expect(bob.locator("#sent")).to_contain_text("Carol Member (Acme)")
    expect(bob.locator("#sent")).to_contain_text("Waiting for an answer")
    bob_audit.check(bob)
    with tenant_context(cast.org.pk):
        request = FeedbackRequest.objects.get()
    assert request.goal_id == goal.pk

    # Carol finds it in her inbox and answers it.
    carol, carol_audit = new_page()
    log_in(carol, carol_audit, cast.member2)
    carol.goto("/o/acme/notifications/")
    carol_audit.check(carol)
    carol.get_by_role(
        "link", name=re.compile("Bob Member \\(Acme\\) asks for your feedback")
    ).click()
    expect(carol.get_by_role("heading", level=1)).to_contain_text("Bob Member (Acme) asks")
    expect(carol.get_by_text("How did the beta demo land?")).to_be_visible()
    carol_audit.check(carol)
    carol.get_by_label("Your feedback").fill(ANSWER)
    carol.get_by_role("button", name="Send feedback").click()
    expect(
        carol.get_by_text("Thank you: your feedback was sent to Bob Member (Acme).")
    ).to_be_visible()
    carol_audit.check(carol)

    # Bob's sent list shows the answer; his page is photographed.
    bob.reload()
    expect(bob.locator("#sent")).to_contain_text("Answered")
    expect(bob.locator("#received")).to_contain_text(ANSWER)
    bob_audit.check(bob)
    _shoot(bob, "feedback-page")

    # Mallory, Bob's manager, opens Bob's page and reads the answer.
    mallory, mallory_audit = new_page()
    log_in(mallory, mallory_audit, cast.manager)
    person = f"/o/acme/colleagues/{cast.member.pk}/"
    mallory.goto(person)
    expect(mallory.get_by_role("heading", level=1)).to_contain_text("Bob Member (Acme)")
    expect(mallory.locator("#person-feedback")).to_contain_text(ANSWER)
    expect(mallory.get_by_text("last received feedback today")).to_be_visible()
    mallory_audit.check(mallory)
    _shoot(mallory, "person-page")

    # Someone from the other organisation: a 404 on every one of these, none of it shown.
    outsider, outsider_audit = new_page()
    log_in(outsider, outsider_audit, cast.other_member)
    with tenant_context(cast.org.pk):
        feedback = request.answers.get()
    for path in (
        person,
        "/o/acme/feedback/",
        f"/o/acme/feedback/requests/{request.pk}/",
        f"/o/acme/feedback/{feedback.pk}/",
        f"/o/acme/goals/{goal.pk}/",
    ):
        response = outsider.goto(path)
        assert response is not None and response.status == 404, path
        assert ANSWER not in outsider.content() and "Ship the beta" not in outsider.content()
        outsider_audit.check(outsider)

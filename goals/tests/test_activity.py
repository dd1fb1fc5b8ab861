"""The activity feed records the real before state and shows only what changed."""

from __future__ import annotations

import re
from decimal import Decimal

from django.urls import reverse

from core.tenancy import tenant_context
from goals.models import GoalEvent
from tests.factories import CheckInFactory, GoalFactory


def test_a_check_in_shows_the_previous_confidence_and_only_what_changed(
    cast, cycle, objective, login
):
    steps = {"title": "Steps shipped", "start_value": Decimal(0), "target_value": Decimal(10)}
    goal = GoalFactory(  # approved by Bob's manager
        owner=cast.member, parent=objective, title="Ship the guided setup wizard",
        status="active", key_results=[steps],
    )  # fmt: skip
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
    CheckInFactory(key_result=kr, value=Decimal(3), confidence="high")
    CheckInFactory(key_result=kr, value=Decimal(3), confidence="medium")
    with tenant_context(cast.org.pk):
        latest = GoalEvent.objects.filter(goal=goal, kind="checked_in").first()
    assert (latest.before["confidence"], latest.after["confidence"]) == ("high", "medium")
    response = login(cast.member).get(reverse("goals:goal_detail", args=[cast.org.slug, goal.pk]))
    second, first = response.context["timeline"][:2]
    # The value checked in is shown plainly; the unchanged progress is left out.
    assert second.changes == [("Value", "", "3"), ("Confidence", "High", "Medium")]
    assert first.changes == [("Value", "0", "3"), ("Progress", "0%", "30%"),
                             ("Confidence", "—", "High")]  # fmt: skip
    page = re.sub(r"\s+", " ", response.content.decode())
    assert "3</ins>" in page and page.count("3</ins>") == 1  # only the first one is struck through

"""A key result's history: the sparklines carry the latest check-ins, the history page all."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import CheckIn, Confidence, GoalStatus, KeyResult
from goals.presenters import SPARKLINE_POINTS
from goals.views.checkin import HISTORY_PAGE_SIZE

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(cast, name: str, *args) -> str:
    return reverse(name, args=[cast.org.slug, *args])


@pytest.fixture
def kr(cast, cycle, objective) -> KeyResult:
    """A key result of an active goal of Bob's."""
    with tenant_context(cast.org.pk):
        goal = services.goal_create(
            actor=Actor(cast.manager),
            cycle=cycle,
            title="Automate the release",
            owner=cast.member,
            parent=objective,
            status=GoalStatus.APPROVED,
            key_results=[{"title": "Deploys a week", "start_value": 0, "target_value": 100}],
        )
        return KeyResult.objects.select_related("goal").get(goal=goal)


def grow_history(cast, kr: KeyResult, total: int) -> None:
    """Check-ins on ``kr`` until it has ``total``, one a day back from yesterday."""
    now = timezone.now()
    with tenant_context(cast.org.pk):
        have = CheckIn.objects.filter(key_result=kr).count()
        CheckIn.objects.bulk_create(
            CheckIn(
                org=cast.org,
                key_result=kr,
                goal=kr.goal,
                author=cast.member,
                value=Decimal(n % 90 + 5),
                confidence=Confidence.MEDIUM,
                note=f"Week {n}",
                created_at=now - timedelta(days=total - n),
            )  # fmt: skip
            for n in range(have, total)
        )


def points(html: str) -> int:
    return len(re.findall(r'<circle class="sparkline-point"', html))


@pytest.mark.parametrize("page", ["my_goals", "checkin"])
def test_a_long_history_costs_my_goals_and_a_check_in_nothing(cast, kr, login, page):
    client = login(cast.member)
    sizes = []
    for total in (30, 2000):
        grow_history(cast, kr, total)
        if page == "my_goals":
            response = client.get(url(cast, "goals:my_goals"))
        else:
            data = {"value": "50", "confidence": "high"}
            response = client.post(url(cast, "goals:checkin", kr.pk), data, **HTMX)
        assert response.status_code == 200
        html = response.content.decode()
        assert points(html) == SPARKLINE_POINTS
        sizes.append(len(response.content))
    # The same page but for a few digits ("30 check-ins", "2,000 check-ins"): it was
    # 28 KB and 182 KB at 2,000 check-ins, when every sparkline drew every point.
    assert abs(sizes[1] - sizes[0]) < 20, sizes


def test_the_sparkline_shows_the_latest_check_ins_and_says_how_many_there_are(cast, kr, login):
    grow_history(cast, kr, 40)
    html = login(cast.member).get(url(cast, "goals:my_goals")).content.decode()
    # The latest is from yesterday: the 40th, with value 39 % 90 + 5.
    assert f"40 check-ins, the latest {SPARKLINE_POINTS} from " in html
    assert "to 44; target 100" in html
    history = url(cast, "goals:kr_history", kr.pk)
    assert f'<a href="{history}">All check-ins' in html


def test_the_history_page_lists_every_check_in_newest_first_a_page_at_a_time(
    cast, kr, login, django_assert_num_queries
):
    client = login(cast.member)
    history = url(cast, "goals:kr_history", kr.pk)
    counts = []
    for total in (HISTORY_PAGE_SIZE + 5, 3 * HISTORY_PAGE_SIZE + 5):
        grow_history(cast, kr, total)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(history)
        counts.append(len(captured))
        html = response.content.decode()
        assert html.count("<tr>") == HISTORY_PAGE_SIZE + 1  # and the heading's row
        assert f"{total} in all" in html
        assert html.index(f"Week {total - 1}<") < html.index(f"Week {total - 2}<")
    assert counts[0] == counts[1]
    last = client.get(history, {"page": 4}).content.decode()
    assert last.count("<tr>") == 5 + 1


def test_the_history_of_a_goal_one_may_not_see_is_not_found(cast, cycle, login):
    with tenant_context(cast.org.pk):
        secret = services.goal_create(
            actor=Actor(cast.manager), cycle=cycle, title="Secret", owner=cast.member2,
            visibility="private", status=GoalStatus.APPROVED,
            key_results=[{"title": "Things", "start_value": 0, "target_value": 1}],
        )  # fmt: skip
        kr = KeyResult.objects.get(goal=secret)
    assert login(cast.member).get(url(cast, "goals:kr_history", kr.pk)).status_code == 404
    assert login(cast.manager).get(url(cast, "goals:kr_history", kr.pk)).status_code == 200
    assert login(cast.other_admin).get(url(cast, "goals:kr_history", kr.pk)).status_code == 404

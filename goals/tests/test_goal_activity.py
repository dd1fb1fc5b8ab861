"""The goal page's activity comes a page at a time: the latest events, then "Show older
activity" (a link that htmx follows in place) for the next page, in constant queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Goal, GoalEvent
from goals.views.goal import ACTIVITY_PAGE

MORE = re.compile(r'<a href="([^"]*)" hx-get="([^"]*)"[^>]*>Show older activity</a>')


def _goal_with_events(cast, cycle, count: int) -> Goal:
    """A goal whose activity holds `count` events: its creation and weight changes."""
    with tenant_context(cast.org.pk):
        goal = services.goal_create(actor=Actor(cast.member), cycle=cycle, title="Tidy the docs")
        GoalEvent.objects.bulk_create(
            GoalEvent(
                org=cast.org,
                goal=goal,
                actor=cast.member,
                kind="edited",
                before={"weight": str(i)},
                after={"weight": str(i + 1)},
            )
            for i in range(count - 1)
        )
    return goal


def _url(cast, goal: Goal, query: str = "") -> str:
    return reverse("goals:goal_detail", args=[cast.org.slug, goal.pk]) + query


def test_the_goal_page_shows_the_latest_page_of_activity_and_a_link_to_more(cast, cycle, login):
    goal = _goal_with_events(cast, cycle, ACTIVITY_PAGE + 5)
    response = login(cast.member).get(_url(cast, goal))
    assert len(response.context["timeline"]) == ACTIVITY_PAGE
    href, hx_get = MORE.search(response.content.decode()).groups()
    assert href == hx_get == f"?activity={ACTIVITY_PAGE}#activity"


def test_show_more_returns_only_the_next_events_and_the_next_link(cast, cycle, login):
    goal = _goal_with_events(cast, cycle, 2 * ACTIVITY_PAGE + 5)
    client = login(cast.member)
    page = client.get(_url(cast, goal, f"?activity={ACTIVITY_PAGE}"), HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert "<html" not in html
    assert html.count('<li tabindex="-1" autofocus>') == 1  # focus lands on the first new event
    assert html.count('<p class="timeline-head">') == ACTIVITY_PAGE
    assert MORE.search(html).group(1) == f"?activity={2 * ACTIVITY_PAGE}#activity"

    last = client.get(_url(cast, goal, f"?activity={2 * ACTIVITY_PAGE}"), HTTP_HX_REQUEST="true")
    assert last.content.decode().count('<p class="timeline-head">') == 5
    assert not MORE.search(last.content.decode())


def test_without_javascript_the_link_opens_the_older_page(cast, cycle, login):
    goal = _goal_with_events(cast, cycle, ACTIVITY_PAGE + 5)
    response = login(cast.member).get(_url(cast, goal, f"?activity={ACTIVITY_PAGE}"))
    html = response.content.decode()
    assert "<html" in html
    assert len(response.context["timeline"]) == 5
    assert "Back to the latest activity" in html


@pytest.mark.parametrize("query", ["", f"?activity={ACTIVITY_PAGE}"])
def test_a_page_of_activity_costs_the_same_queries_however_long_the_history(
    cast, cycle, login, query
):
    counts = []
    for size in (2 * ACTIVITY_PAGE + 1, 6 * ACTIVITY_PAGE):
        goal = _goal_with_events(cast, cycle, size)
        client = login(cast.member)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(_url(cast, goal, query), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("offset", ["abc", "-5", "1e3"])
def test_a_bad_activity_offset_shows_the_latest(cast, cycle, login, offset):
    goal = _goal_with_events(cast, cycle, 3)
    response = login(cast.member).get(_url(cast, goal, f"?activity={offset}"))
    assert len(response.context["timeline"]) == 3


def test_a_huge_activity_offset_shows_nothing_rather_than_failing(cast, cycle, login):
    goal = _goal_with_events(cast, cycle, 3)
    response = login(cast.member).get(_url(cast, goal, "?activity=" + "9" * 40))
    assert response.status_code == 200
    assert response.context["timeline"] == []

"""Sent back: the owner sees the approver's comment on top; the approver, what changed since."""

from __future__ import annotations

import re
from decimal import Decimal

from django.urls import reverse

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import KeyResult

COMMENT = "Say how Platform moves the number: raise the target to 150."


def url(cast, name: str, *args) -> str:
    return reverse(name, args=[cast.org.slug, *args])


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def sent_back(cast, objective):
    bob = Actor(cast.member)
    with tenant_context(cast.org.pk):
        goal = services.goal_create(
            actor=bob, cycle=objective.cycle, title="Grow signups", parent=objective,
            key_results=[{"title": "Signups", "start_value": Decimal(0),
                          "target_value": Decimal(100)}],
        )  # fmt: skip
        services.goal_submit(actor=bob, goal=goal)
        return services.goal_request_changes(actor=Actor(cast.manager), goal=goal, comment=COMMENT)


def test_the_comment_sits_on_top_of_the_goal_page_while_the_goal_is_with_its_owner(
    cast, objective, login
):
    goal = sent_back(cast, objective)
    page = login(cast.member).get(url(cast, "goals:goal_detail", goal.pk)).content.decode()
    top = page[: page.index('class="goal-layout"')]
    assert "Changes requested</strong> by Mallory Manager (Acme)" in top
    assert COMMENT in top
    with tenant_context(cast.org.pk):
        services.goal_submit(actor=Actor(cast.member), goal=goal)
    page = login(cast.member).get(url(cast, "goals:goal_detail", goal.pk)).content.decode()
    top = page[: page.index('class="goal-layout"')]
    # The banner has gone; the comment stays in the goal's conversation (issue 9).
    assert "Changes requested</strong> by" not in top
    thread = top[top.index(f'id="thread-goal-{goal.pk}"') :]
    assert COMMENT in thread


def test_a_resubmitted_goal_shows_the_approver_what_changed_since_the_request(
    cast, objective, login
):
    goal = sent_back(cast, objective)
    bob = Actor(cast.member)
    with tenant_context(cast.org.pk):
        goal = services.goal_update(actor=bob, goal=goal, title="Grow signups on Platform")
        services.kr_update(
            actor=bob, key_result=KeyResult.objects.get(goal=goal), target_value=Decimal(150)
        )
        services.kr_add(actor=bob, goal=goal, title="Activation", target_value=Decimal(40))
        services.goal_submit(actor=bob, goal=goal)
    queue = text(login(cast.manager).get(url(cast, "goals:approvals")))
    assert "What changed since changes were requested" in queue
    assert f"Mallory Manager (Acme) asked: {COMMENT}" in queue
    assert "Changed Title: Grow signups → Grow signups on Platform" in queue
    assert "Changed Target of “Signups”: 100 → 150" in queue
    assert "Added Key result “Activation”: Increase to 40, from 0; weight 1" in queue
    with tenant_context(cast.org.pk):
        goal = services.goal_approve(actor=Actor(cast.manager), goal=goal)
        assert goal.last_changes_request is None


def test_a_goal_submitted_for_the_first_time_has_no_such_section(cast, objective, login):
    with tenant_context(cast.org.pk):
        goal = services.goal_create(
            actor=Actor(cast.member), cycle=objective.cycle, title="Grow", parent=objective
        )
        services.goal_submit(actor=Actor(cast.member), goal=goal)
    queue = text(login(cast.manager).get(url(cast, "goals:approvals")))
    assert "Grow" in queue and "What changed since changes were requested" not in queue

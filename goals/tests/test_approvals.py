"""The approval queue: approve and request changes inline, bulk approve, re-approval diffs."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Goal, GoalStatus, KeyResult, Level
from goals.rollup import explain
from goals.views.approval import BULK_NOTHING_CHOSEN, BULK_REFUSED
from orgs.models import Membership, Unit, User

HTMX = {"HX-Request": "true"}


def url(cast, name: str, *args) -> str:
    return reverse(name, args=[cast.org.slug, *args])


def draft(cast, owner, parent, title, target=100, **fields) -> Goal:
    with tenant_context(cast.org.pk):
        return services.goal_create(
            actor=Actor(owner),
            cycle=parent.cycle,
            title=title,
            parent=parent,
            key_results=[
                {"title": "Signups", "start_value": Decimal(0), "target_value": Decimal(target)}
            ],
            **fields,
        )


def submitted(cast, owner, parent, title, **fields) -> Goal:
    goal = draft(cast, owner, parent, title, **fields)
    with tenant_context(cast.org.pk):
        return services.goal_submit(actor=Actor(owner), goal=goal)


def approved(cast, owner, parent, title, **fields) -> Goal:
    goal = submitted(cast, owner, parent, title, **fields)
    with tenant_context(cast.org.pk):
        return services.goal_approve(actor=Actor(cast.admin), goal=goal)


def fresh(cast, goal) -> Goal:
    with tenant_context(cast.org.pk):
        return Goal.objects.get(pk=goal.pk)


def text(response) -> str:
    """The page as a person reads it: tags dropped, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def queued(response) -> list[int]:
    return [item.goal.pk for item in response.context["items"]]


# --- The whole workflow ----------------------------------------------------------------


def test_a_cascade_goes_from_drafts_to_approved_goals_that_count_toward_the_objective(
    cast, objective, login, django_capture_on_commit_callbacks
):
    manager = login(cast.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            url(cast, "goals:goal_cascade", objective.pk),
            {"title": "Onboard ten teams", "people": [cast.member.pk, cast.member2.pk]},
        )
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        bob_goal = Goal.objects.get(parent=objective, owner=cast.member)
        carol_goal = Goal.objects.get(parent=objective, owner=cast.member2)
    assert bob_goal.status == carol_goal.status == GoalStatus.DRAFT
    assert sorted(m.to[0] for m in mail.outbox) == ["member2@acme.test", "member@acme.test"]

    # Both owners fill in their drafts and submit them.
    with tenant_context(cast.org.pk):
        bob, carol = Actor(cast.member), Actor(cast.member2)
        services.goal_update(actor=bob, goal=bob_goal, manual_progress=Decimal(50))
        services.goal_submit(actor=bob, goal=bob_goal)
        services.goal_update(actor=carol, goal=carol_goal, manual_progress=Decimal(100))
        services.goal_submit(actor=carol, goal=carol_goal)
    queue = manager.get(url(cast, "goals:approvals"))
    assert queued(queue) == [bob_goal.pk, carol_goal.pk]
    assert "Double weekly active teams" in text(queue)  # the parent they contribute to

    # The manager approves one inline...
    response = manager.post(url(cast, "goals:goal_approve", bob_goal.pk), headers=HTMX)
    assert response.status_code == 200
    assert "Approved “Onboard ten teams” (Bob Member (Acme))." in text(response)
    assert f'id="approval-{bob_goal.pk}"' in response.content.decode()
    assert "1 goal is waiting for you." in text(response)
    # ... and sends the other back with a comment, which the owner receives.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            url(cast, "goals:goal_request_changes", carol_goal.pk),
            {"comment": "Add a key result we can measure."},
            headers=HTMX,
        )
    assert response.status_code == 200
    assert "Sent “Onboard ten teams” back to Carol Member (Acme)" in text(response)
    assert fresh(cast, carol_goal).status == GoalStatus.CHANGES_REQUESTED
    (email,) = mail.outbox
    assert email.to == ["member2@acme.test"]
    assert "Add a key result we can measure." in email.body
    assert queued(manager.get(url(cast, "goals:approvals"))) == []
    assert fresh(cast, objective).progress == pytest.approx(0.25)  # KR at 0%, Bob's 50%

    # The owner revises and resubmits; the manager approves without JavaScript.
    with tenant_context(cast.org.pk):
        services.goal_update(
            actor=carol, goal=fresh(cast, carol_goal), title="Ship the onboarding flow"
        )
        services.goal_submit(actor=carol, goal=fresh(cast, carol_goal))
    assert queued(manager.get(url(cast, "goals:approvals"))) == [carol_goal.pk]
    response = manager.post(url(cast, "goals:goal_approve", carol_goal.pk))
    assert response.status_code == 302
    assert response["Location"] == url(cast, "goals:approvals")

    # The objective now counts both: (0 + 0.5 + 1) / 3.
    with tenant_context(cast.org.pk):
        objective = fresh(cast, objective)
        assert objective.progress == pytest.approx(0.5)
        contributions, _ = explain(objective)
    assert {c.title for c in contributions if c.kind == "goal"} == {
        "Onboard ten teams",
        "Ship the onboarding flow",
    }


# --- Who sees what in the queue ----------------------------------------------------------


def test_the_queue_holds_the_subtrees_submitted_goals_and_unit_goals_below_led_units(
    cast, objective, login
):
    with tenant_context(cast.org.pk):
        Unit.objects.filter(pk=cast.platform.pk).update(lead=cast.member2)
    bobs = submitted(cast, cast.member, objective, "Bob's goal")
    platform = submitted(
        cast, cast.member2, objective, "Platform goal", level=Level.UNIT, unit=cast.platform
    )
    engineering = submitted(
        cast, cast.manager, objective, "Engineering goal", level=Level.UNIT, unit=cast.engineering
    )
    draft(cast, cast.member2, objective, "Carol's draft")

    manager_queue = queued(login(cast.manager).get(url(cast, "goals:approvals")))
    assert manager_queue == [bobs.pk, platform.pk]  # not their own Engineering goal
    admin_queue = queued(login(cast.admin).get(url(cast, "goals:approvals")))
    assert admin_queue == [bobs.pk, platform.pk, engineering.pk]
    member_page = login(cast.member).get(url(cast, "goals:approvals"))
    assert queued(member_page) == []
    assert "Nothing is waiting for you." in text(member_page)


def test_the_queue_shows_owner_unit_title_key_results_and_targets(cast, objective, login):
    goal = submitted(cast, cast.member, objective, "Faster builds", target=250)
    response = login(cast.manager).get(url(cast, "goals:approvals"))
    assert f'<h2 id="goal-{goal.pk}">' in response.content.decode()  # the goal page links here
    page = text(response)
    assert "Bob Member (Acme) · Engineer, Platform" in page
    assert "Signups Increase to 250, from 0 1" in page
    assert "Individual goal Submitted" in page


# --- Approve and request changes -----------------------------------------------------------


def test_a_request_for_changes_needs_a_comment(cast, objective, login):
    goal = submitted(cast, cast.member, objective, "Vague goal")
    client = login(cast.manager)
    response = client.post(
        url(cast, "goals:goal_request_changes", goal.pk), {"comment": "  "}, headers=HTMX
    )
    assert response.status_code == 400
    assert services.COMMENT_REQUIRED in text(response)
    assert f'id="approval-{goal.pk}"' in response.content.decode()  # the item again
    response = client.post(url(cast, "goals:goal_request_changes", goal.pk), {"comment": ""})
    assert response.status_code == 400
    assert services.COMMENT_REQUIRED in text(response)
    assert queued(response) == [goal.pk]
    assert fresh(cast, goal).status == GoalStatus.SUBMITTED


def test_it_explains_why_a_goal_could_not_be_approved(cast, objective, login):
    goal = draft(cast, cast.member, objective, "Not finished")
    with tenant_context(cast.org.pk):
        services.goal_cancel(actor=Actor(cast.member), goal=goal)
    response = login(cast.manager).post(url(cast, "goals:goal_approve", goal.pk), headers=HTMX)
    assert response.status_code == 400
    assert "A goal that is cancelled cannot be approved." in text(response)


def test_without_javascript_it_returns_to_a_safe_next_page(cast, objective, login):
    goal = submitted(cast, cast.member, objective, "Goal")
    other = submitted(cast, cast.member2, objective, "Other goal")
    client = login(cast.manager)
    detail = url(cast, "goals:goal_detail", goal.pk)
    response = client.post(url(cast, "goals:goal_approve", goal.pk), {"next": detail})
    assert response["Location"] == detail
    response = client.post(
        url(cast, "goals:goal_approve", other.pk), {"next": "https://evil.test/"}
    )
    assert response["Location"] == url(cast, "goals:approvals")


def test_nobody_approves_or_sends_back_a_goal_they_do_not_manage(cast, objective, login):
    goal = submitted(cast, cast.member, objective, "Bob's goal")
    own = submitted(cast, cast.manager, objective, "Mallory's goal")
    peer = login(cast.member2)
    assert peer.post(url(cast, "goals:goal_approve", goal.pk)).status_code == 403
    response = peer.post(url(cast, "goals:goal_request_changes", goal.pk), {"comment": "No"})
    assert response.status_code == 403
    manager = login(cast.manager)
    assert manager.post(url(cast, "goals:goal_approve", own.pk)).status_code == 403
    assert fresh(cast, goal).status == fresh(cast, own).status == GoalStatus.SUBMITTED


def test_another_organisations_goal_is_not_found(cast, objective, client):
    goal = submitted(cast, cast.member, objective, "Bob's goal")
    client.force_login(cast.other_admin.user, backend="django.contrib.auth.backends.ModelBackend")
    for name in ("goals:goal_approve", "goals:goal_request_changes"):
        response = client.post(
            reverse(name, args=[cast.other_org.slug, goal.pk]), {"comment": "Hi"}
        )
        assert response.status_code == 404
    assert fresh(cast, goal).status == GoalStatus.SUBMITTED


# --- Re-approval -------------------------------------------------------------------------------


def test_a_target_change_after_approval_comes_back_with_the_diff(cast, objective, login):
    goal = approved(cast, cast.member, objective, "Grow signups")
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)
        services.kr_update(actor=Actor(cast.member), key_result=kr, target_value=Decimal(150))
    response = login(cast.manager).get(url(cast, "goals:approvals"))
    assert queued(response) == [goal.pk]
    page = text(response)
    assert "Changed since approval" in page
    assert "Changed Target of “Signups”: 100 → 150" in page
    client = login(cast.manager)
    assert client.post(url(cast, "goals:goal_approve", goal.pk), headers=HTMX).status_code == 200
    goal = fresh(cast, goal)
    assert (goal.status, goal.needs_reapproval) == (GoalStatus.APPROVED, False)
    assert Decimal(goal.approved_snapshot["key_results"][str(kr.pk)]["target_value"]) == 150


def test_the_diff_shows_parent_weight_and_key_results_added_and_removed(
    cast, objective, cycle, login
):
    goal = approved(cast, cast.member, objective, "Grow signups")
    with tenant_context(cast.org.pk):
        other_parent = services.goal_create(
            actor=Actor(cast.admin), cycle=cycle, level=Level.ORGANISATION, title="Retention"
        )
        bob = Actor(cast.member)
        services.goal_update(actor=bob, goal=goal, parent=other_parent, weight=Decimal(2))
        services.kr_delete(actor=bob, key_result=KeyResult.objects.get(goal=goal))
        services.kr_add(
            actor=bob,
            goal=goal,
            title="Churn",
            direction=KeyResult.Direction.DECREASE,
            start_value=Decimal(8),
            target_value=Decimal("4.5"),
            unit_label="%",
        )
    page = text(login(cast.manager).get(url(cast, "goals:approvals")))
    assert "Contributes to: “Double weekly active teams” → “Retention”" in page
    assert "Weight: 1 → 2" in page
    assert "Added Key result “Churn”: Decrease to 4.5, from 8; weight 1" in page
    assert "Removed Key result “Signups” (was Increase to 100, from 0; weight 1)" in page


def test_changes_can_be_sent_back_during_re_approval(cast, objective, login):
    goal = approved(cast, cast.member, objective, "Grow signups")
    with tenant_context(cast.org.pk):
        services.goal_update(actor=Actor(cast.member), goal=goal, weight=Decimal(3))
    response = login(cast.manager).post(
        url(cast, "goals:goal_request_changes", goal.pk), {"comment": "Keep the weight at 1."}
    )
    assert response.status_code == 302
    assert fresh(cast, goal).status == GoalStatus.CHANGES_REQUESTED


# --- Bulk approve ---------------------------------------------------------------------------------


def test_bulk_approve_approves_every_ticked_goal(cast, objective, login):
    goals = [submitted(cast, cast.member, objective, f"Goal {i}") for i in range(3)]
    client = login(cast.manager)
    ticked = [goals[0].pk, goals[2].pk]
    response = client.post(url(cast, "goals:approvals_bulk"), {"goals": ticked}, follow=True)
    assert "Approved 2 goals: “Goal 0” (Bob Member (Acme)), “Goal 2” (Bob Member (Acme))." in text(
        response
    )
    assert [fresh(cast, g).status for g in goals] == [
        GoalStatus.APPROVED,
        GoalStatus.SUBMITTED,
        GoalStatus.APPROVED,
    ]
    assert queued(response) == [goals[1].pk]


@pytest.mark.parametrize("intruder", ["draft", "own", "not_managed", "other_org", "garbage"])
def test_bulk_approve_refuses_the_lot_when_one_goal_is_not_theirs_to_approve(
    cast, objective, login, intruder
):
    mine = submitted(cast, cast.member, objective, "Bob's goal")
    if intruder == "draft":
        bad = draft(cast, cast.member2, objective, "Draft").pk
    elif intruder == "own":
        bad = submitted(cast, cast.manager, objective, "Mallory's goal").pk
    elif intruder == "not_managed":
        bad = submitted(cast, cast.admin, objective, "Alice's goal").pk
    elif intruder == "other_org":
        with tenant_context(cast.other_org.pk):
            bad = Goal.objects.create(
                org=cast.other_org,
                cycle=objective.cycle,
                owner=cast.other_member,
                title="Theirs",
                due_date=objective.due_date,
                status=GoalStatus.SUBMITTED,
            ).pk
    else:
        bad = "1; DROP TABLE"
    response = login(cast.manager).post(
        url(cast, "goals:approvals_bulk"), {"goals": [mine.pk, bad]}
    )
    assert response.status_code == 400
    assert BULK_REFUSED.format(count=1, verb="is") in text(response)
    assert fresh(cast, mine).status == GoalStatus.SUBMITTED
    assert f'value="{mine.pk}" id="select-{mine.pk}" checked' in response.content.decode()


def test_bulk_approve_needs_a_ticked_goal(cast, objective, login):
    response = login(cast.manager).post(url(cast, "goals:approvals_bulk"), {})
    assert response.status_code == 400
    assert BULK_NOTHING_CHOSEN in text(response)


# --- Query count ----------------------------------------------------------------------------------


def team_with_goals(cast, objective, count: int) -> None:
    """``count`` people reporting to the manager, each with a goal with two key results:
    every other one submitted, the others approved under "Growth", then moved to "Retention"."""
    with tenant_context(cast.org.pk):
        growth, retention = (
            services.goal_create(
                actor=Actor(cast.admin), cycle=objective.cycle, level=Level.ORGANISATION, title=t
            )
            for t in ("Growth", "Retention")
        )
        users = User.objects.bulk_create(
            User(email=f"dev{i}@acme.test", full_name=f"Dev {i:02d}", password="!")
            for i in range(count)
        )
        people = Membership.objects.bulk_create(
            Membership(org=cast.org, user=u, unit=cast.platform, manager=cast.manager)
            for u in users
        )
    for i, person in enumerate(people):
        goal = draft(cast, person, growth if i % 2 else objective, f"Goal {i}")
        with tenant_context(cast.org.pk):
            services.kr_add(actor=Actor(person), goal=goal, title="Second", target_value=Decimal(5))
            services.goal_submit(actor=Actor(person), goal=goal)
            if i % 2:
                services.goal_approve(actor=Actor(cast.manager), goal=goal)
                services.goal_update(actor=Actor(person), goal=goal, parent=retention)


# SAVEPOINT, organisation, session, user, membership, RELEASE SAVEPOINT (and on PostgreSQL
# the two set_config calls of row-level security), then the user's memberships for the
# organisation switcher.
def page_overhead() -> int:
    return 7 + (2 if connection.vendor == "postgresql" else 0)


@pytest.mark.parametrize("count", [4, 16])
def test_the_queue_runs_the_same_queries_whatever_its_length(
    cast, objective, login, django_assert_num_queries, count
):
    team_with_goals(cast, objective, count)
    client = login(cast.manager)
    # The subtree, the led units, the goals with owners, units, parents and cycles,
    # their key results, the titles of the parents they had when approved.
    with django_assert_num_queries(page_overhead() + 5):
        response = client.get(url(cast, "goals:approvals"))
    assert len(response.context["items"]) == count
    assert text(response).count("Contributes to: “Growth” → “Retention”") == count // 2

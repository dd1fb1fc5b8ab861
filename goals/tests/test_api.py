"""The REST API for cycles, goals, key results, check-ins, approval and the cascade tree."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.formats import date_format
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.api.serializers import (
    CURRENT_VALUE_BY_CHECKIN,
    KEY_RESULTS_SEPARATELY,
    NOT_CHANGEABLE,
    STATUS_BY_ACTION,
)
from goals.models import CheckIn, Cycle, Goal, GoalEvent, GoalStatus, KeyResult, Level, Milestone
from orgs import services as org_services
from orgs.models import Membership, Organization

BACKEND = "django.contrib.auth.backends.ModelBackend"


def api(membership: Membership | None = None, **kwargs) -> APIClient:
    client = APIClient(**kwargs)
    if membership is not None:
        client.force_login(membership.user, backend=BACKEND)
    return client


def url(org: Organization, rest: str = "") -> str:
    return f"/api/v1/orgs/{org.slug}/{rest}"


def make_goal(who: Membership, cycle: Cycle, **fields) -> Goal:
    with tenant_context(who.org_id):
        return services.goal_create(actor=Actor(who), cycle=cycle, **fields)


def kr_of(goal: Goal) -> KeyResult:
    with tenant_context(goal.org_id):
        return KeyResult.objects.get(goal=goal)


def read_goal(goal: Goal) -> Goal:
    with tenant_context(goal.org_id):
        return Goal.objects.get(pk=goal.pk)


def counts(org: Organization) -> tuple[int, int, int, int]:
    """Goals, key results, check-ins and events: what a refused request must leave alone."""
    with tenant_context(org.pk):
        return (
            Goal.objects.count(),
            KeyResult.objects.count(),
            CheckIn.objects.count(),
            GoalEvent.objects.count(),
        )


def one_kr(title: str = "Measure", start: int = 0, target: int = 100, **more) -> dict:
    return {"title": title, "start_value": Decimal(start), "target_value": Decimal(target), **more}


@pytest.fixture
def cascade(cast, cycle, objective):
    """The objective (admin), a unit goal of Engineering (manager) contributing to it and the
    member's goal contributing to that; all active, each with one key result from 0."""
    unit_goal = make_goal(
        cast.admin,
        cycle,
        level=Level.UNIT,
        unit=cast.engineering,
        owner=cast.manager,
        parent=objective,
        title="Ship the new onboarding",
        key_results=[one_kr("Teams onboarded", 0, 10)],
        status=GoalStatus.APPROVED,
    )
    member_goal = make_goal(
        cast.manager,
        cycle,
        owner=cast.member,
        parent=unit_goal,
        title="Write the onboarding guide",
        key_results=[one_kr("Pages written", 0, 100)],
        status=GoalStatus.APPROVED,
    )
    return objective, unit_goal, member_goal


@pytest.fixture
def draft(cast, cycle, objective):
    """The member's own draft, aligned to the objective."""
    return make_goal(
        cast.member, cycle, parent=objective, title="Draft a plan", key_results=[one_kr()]
    )


@pytest.fixture
def submitted(cast, draft):
    with tenant_context(cast.org.pk):
        return services.goal_submit(actor=Actor(cast.member), goal=draft)


# --- Cycles --------------------------------------------------------------------


def test_it_lists_cycles_to_a_member(cast, cycle):
    response = api(cast.member).get(url(cast.org, "cycles/"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0] == {
        "id": cycle.pk,
        "name": "This quarter",
        "start": cycle.start.isoformat(),
        "end": cycle.end.isoformat(),
        "status": "active",
    }


def test_it_lets_an_admin_create_and_update_a_cycle(cast):
    client = api(cast.admin)
    response = client.post(
        url(cast.org, "cycles/"),
        {"name": " 2027 Q1 ", "start": "2027-01-01", "end": "2027-03-31"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["name"] == "2027 Q1"
    assert response.json()["status"] == "planning"
    pk = response.json()["id"]

    response = client.patch(url(cast.org, f"cycles/{pk}/"), {"status": "active"}, format="json")
    assert response.status_code == 200
    with tenant_context(cast.org.pk):
        cycle = Cycle.objects.get(pk=pk)
    assert (cycle.name, str(cycle.end), cycle.status) == ("2027 Q1", "2027-03-31", "active")


def test_it_refuses_a_cycle_that_ends_before_it_starts(cast, cycle):
    client = api(cast.admin)
    response = client.post(
        url(cast.org, "cycles/"),
        {"name": "Backwards", "start": "2027-03-31", "end": "2027-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"end": [services.CYCLE_DATES]}
    response = client.patch(
        url(cast.org, f"cycles/{cycle.pk}/"), {"end": str(cycle.start)}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"end": [services.CYCLE_DATES]}
    with tenant_context(cast.org.pk):
        assert list(Cycle.objects.values_list("name", "end")) == [("This quarter", cycle.end)]


def test_it_refuses_a_duplicate_cycle_name(cast, cycle):
    response = api(cast.admin).post(
        url(cast.org, "cycles/"),
        {"name": "this QUARTER", "start": "2027-01-01", "end": "2027-03-31"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["name"]


def test_it_refuses_cycle_changes_from_a_member(cast, cycle):
    client = api(cast.member)
    created = client.post(
        url(cast.org, "cycles/"),
        {"name": "Mine", "start": "2027-01-01", "end": "2027-03-31"},
        format="json",
    )
    changed = client.patch(url(cast.org, f"cycles/{cycle.pk}/"), {"name": "Mine"}, format="json")
    assert created.status_code == changed.status_code == 403
    with tenant_context(cast.org.pk):
        assert list(Cycle.objects.values_list("name", flat=True)) == ["This quarter"]


def test_it_hides_another_organisations_cycle(cast):
    with tenant_context(cast.other_org.pk):
        theirs = Cycle.objects.create(
            org=cast.other_org, name="Globex Q1", start="2027-01-01", end="2027-03-31"
        )
    client = api(cast.admin)
    assert client.get(url(cast.org, f"cycles/{theirs.pk}/")).status_code == 404
    response = client.patch(url(cast.org, f"cycles/{theirs.pk}/"), {"name": "X"}, format="json")
    assert response.status_code == 404
    with tenant_context(cast.other_org.pk):
        assert Cycle.objects.get(pk=theirs.pk).name == "Globex Q1"


# --- Reading goals ----------------------------------------------------------------


def test_it_shows_a_goal_with_key_results_progress_and_health(cast, cycle, cascade):
    objective, unit_goal, member_goal = cascade
    with tenant_context(cast.org.pk):
        services.checkin_create(
            actor=Actor(cast.member), key_result=kr_of(member_goal), value=Decimal(40)
        )
    response = api(cast.member).get(url(cast.org, f"goals/{member_goal.pk}/"))
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("title", "level", "status", "owner", "owner_name", "parent")} == {
        "title": "Write the onboarding guide",
        "level": "individual",
        "status": "approved",
        "owner": cast.member.pk,
        "owner_name": "Bob Member (Acme)",
        "parent": unit_goal.pk,
    }
    assert (body["progress"], body["percent"]) == (pytest.approx(0.4), 40)
    assert body["health"] == {
        "code": "on_track",
        "label": "On track",
        "stale": False,
        "expected_percent": 50,
        "reason": "",
    }
    assert body["needs_reapproval"] is False
    assert body["due_date"] == cycle.end.isoformat()
    [kr] = body["key_results"]
    assert {k: kr[k] for k in ("title", "start_value", "target_value", "current_value")} == {
        "title": "Pages written",
        "start_value": "0",
        "target_value": "100",
        "current_value": "40",
    }
    assert (kr["progress"], kr["percent"]) == (pytest.approx(0.4), 40)


def test_it_lists_the_goals_a_member_can_see(cast, cycle, cascade):
    objective, unit_goal, member_goal = cascade
    make_goal(cast.member2, cycle, title="Carol's private goal", visibility="private")
    make_goal(cast.member, cycle, title="Bob's private goal", visibility="private")
    response = api(cast.member).get(url(cast.org, "goals/"))
    assert response.status_code == 200
    titles = [g["title"] for g in response.json()["results"]]
    assert titles == [
        "Bob's private goal",
        "Double weekly active teams",
        "Ship the new onboarding",
        "Write the onboarding guide",
    ]
    manager_view = api(cast.manager).get(url(cast.org, "goals/?q=private")).json()
    assert [g["title"] for g in manager_view["results"]] == [
        "Bob's private goal",
        "Carol's private goal",
    ]


@pytest.mark.parametrize(
    "query, titles",
    [
        ("level=org", ["Double weekly active teams"]),
        ("owner={member}", ["Write the onboarding guide"]),
        ("unit={engineering}", ["Ship the new onboarding"]),
        ("parent={objective}", ["Ship the new onboarding"]),
        ("status=draft", ["Spare idea"]),
        ("q=ONBOARDING", ["Ship the new onboarding", "Write the onboarding guide"]),
        ("cycle={cycle}&level=individual&status=approved", ["Write the onboarding guide"]),
        ("cycle={next_cycle}", []),
    ],
)
def test_it_filters_goals(cast, cycle, cascade, query, titles):
    objective = cascade[0]
    make_goal(cast.member2, cycle, title="Spare idea")
    with tenant_context(cast.org.pk):
        next_cycle = Cycle.objects.create(
            org=cast.org, name="Next", start=cycle.end, end=cycle.end + timedelta(days=90)
        )
    query = query.format(
        member=cast.member.pk,
        engineering=cast.engineering.pk,
        objective=objective.pk,
        cycle=cycle.pk,
        next_cycle=next_cycle.pk,
    )
    response = api(cast.member).get(url(cast.org, f"goals/?{query}"))
    assert response.status_code == 200
    assert [g["title"] for g in response.json()["results"]] == titles


def test_it_refuses_bad_goal_filters(cast, cycle):
    hidden = make_goal(cast.member2, cycle, title="Hidden", visibility="private")
    client = api(cast.member)
    for query, field in [
        ("status=dreaming", "status"),
        ("level=galaxy", "level"),
        ("cycle=abc", "cycle"),
        (f"unit={cast.other_unit.pk}", "unit"),
        (f"owner={cast.other_member.pk}", "owner"),
        (f"parent={hidden.pk}", "parent"),
        ("q=a%00b", "q"),
    ]:
        response = client.get(url(cast.org, f"goals/?{query}"))
        assert response.status_code == 400, query
        assert list(response.json()) == [field], query


def test_it_lists_goals_in_a_constant_number_of_queries(cast, cycle, cascade):
    client = api(cast.member)
    path = url(cast.org, f"goals/?cycle={cycle.pk}")
    with CaptureQueriesContext(connection) as few:
        assert client.get(path).status_code == 200
    for n in range(6):
        make_goal(cast.member, cycle, title=f"More {n}", key_results=[one_kr(), one_kr("Two")])
    with CaptureQueriesContext(connection) as many:
        response = client.get(path)
    assert response.json()["count"] == 9
    # Session, user, organisation and membership (with the row-level security settings
    # on PostgreSQL), the cycle filter, the reporting subtree, the count, one page of
    # goals with owners and cycles, their key results and the key results' milestones.
    assert len(many) == len(few)


# --- Creating and editing goals ---------------------------------------------------


def test_it_creates_a_goal_with_key_results(cast, cycle, objective):
    response = api(cast.member).post(
        url(cast.org, "goals/"),
        {
            "cycle": cycle.pk,
            "title": " Cut onboarding time ",
            "parent": objective.pk,
            "weight": "2",
            "key_results": [
                {"title": "Median days to first value", "start_value": 10, "target_value": 3},
                {
                    "title": "Launch checklist",
                    "kind": "milestones",
                    "milestones": ["Draft", "Review", "Publish"],
                },
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["title"], body["status"], body["owner"], body["weight"]) == (
        "Cut onboarding time",
        "draft",
        cast.member.pk,
        "2",
    )
    assert body["health"]["code"] == "not_started"
    assert [kr["title"] for kr in body["key_results"]] == [
        "Median days to first value",
        "Launch checklist",
    ]
    assert [m["title"] for m in body["key_results"][1]["milestones"]] == [
        "Draft",
        "Review",
        "Publish",
    ]
    with tenant_context(cast.org.pk):
        goal = Goal.objects.get(pk=body["id"])
        assert (goal.parent_id, goal.weight, goal.due_date) == (
            objective.pk,
            Decimal(2),
            cycle.end,
        )
        assert list(goal.events.values_list("kind", flat=True)) == ["created"]


def test_it_lets_a_manager_create_and_approve_a_goal_for_a_report(cast, cycle, objective):
    response = api(cast.manager).post(
        url(cast.org, "goals/"),
        {
            "cycle": cycle.pk,
            "title": "Mentor two new hires",
            "owner": cast.member.pk,
            "parent": objective.pk,
            "manual_progress": 25,
            "approve": True,
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["owner"], body["status"], body["percent"]) == (cast.member.pk, "approved", 25)


@pytest.mark.parametrize(
    "who, fields, message",
    [
        ("member", {"approve": True}, services.OWN_GOAL),
        ("member", {"owner": "member2"}, services.NOT_ALLOWED),
        ("member", {"level": "org"}, services.NOT_ALLOWED),
        ("manager", {"level": "unit", "unit": "company"}, services.NOT_ALLOWED),
    ],
)
def test_it_refuses_goals_beyond_the_creators_reach(cast, cycle, who, fields, message):
    fields = {k: getattr(cast, v).pk if k in ("owner", "unit") else v for k, v in fields.items()}
    before = counts(cast.org)
    response = api(getattr(cast, who)).post(
        url(cast.org, "goals/"), {"cycle": cycle.pk, "title": "Too far", **fields}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": message}
    assert counts(cast.org) == before


@pytest.fixture
def elsewhere(cast, cycle):
    """Goals that cannot be a parent here: one in another cycle, one in another
    organisation, one private to someone else."""
    with tenant_context(cast.org.pk):
        later = Cycle.objects.create(
            org=cast.org, name="Later", start=cycle.end, end=cycle.end + timedelta(days=90)
        )
    with tenant_context(cast.other_org.pk):
        other_cycle = Cycle.objects.create(
            org=cast.other_org, name="Q", start=cycle.start, end=cycle.end
        )
    return {
        "later_cycle": later,
        "other_cycle": other_cycle,
        "other_cycle_goal": make_goal(cast.admin, later, level=Level.ORGANISATION, title="Next"),
        "other_org_goal": make_goal(
            cast.other_admin, other_cycle, level=Level.ORGANISATION, title="Globex"
        ),
        "private_goal": make_goal(cast.member2, cycle, title="Secret", visibility="private"),
    }


def _bad_goal_cases(cast, cycle, objective, elsewhere):
    """(fields, the field in error, its message); the message None means any."""
    after_cycle = (cycle.end + timedelta(days=1)).isoformat()
    outside = services.DUE_OUTSIDE_CYCLE.format(
        start=date_format(cycle.start), end=date_format(cycle.end)
    )
    return [
        ({"due_date": after_cycle}, "due_date", outside),
        ({"due_date": (cycle.start - timedelta(days=1)).isoformat()}, "due_date", outside),
        ({"parent": elsewhere["other_cycle_goal"].pk}, "parent", services.PARENT_OTHER_CYCLE),
        ({"parent": elsewhere["other_org_goal"].pk}, "parent", services.PARENT_NOT_FOUND),
        ({"parent": elsewhere["private_goal"].pk}, "parent", services.PARENT_NOT_FOUND),
        ({"parent": 10**9}, "parent", services.PARENT_NOT_FOUND),
        ({"cycle": elsewhere["other_cycle"].pk}, "cycle", services.CYCLE_OTHER_ORG),
        ({"owner": cast.other_member.pk}, "owner", org_services.OTHER_ORG),
        ({"weight": 0}, "weight", services.WEIGHT_POSITIVE),
        ({"weight": "-1.5"}, "weight", services.WEIGHT_POSITIVE),
        ({"manual_progress": 101}, "manual_progress", services.MANUAL_RANGE),
        ({"manual_progress": -1}, "manual_progress", services.MANUAL_RANGE),
        ({"manual_progress": "lots"}, "manual_progress", None),
        ({"weight": "heavy"}, "weight", None),
        ({"title": "   "}, "title", None),
        ({"due_date": "2027-02-30"}, "due_date", None),
    ]


def test_it_refuses_bad_goal_input_with_field_errors_and_saves_nothing(
    cast, cycle, objective, elsewhere
):
    client = api(cast.member)
    before = counts(cast.org)
    for fields, field, message in _bad_goal_cases(cast, cycle, objective, elsewhere):
        body = {"cycle": cycle.pk, "title": "Bad", "parent": objective.pk, **fields}
        response = client.post(url(cast.org, "goals/"), body, format="json")
        assert response.status_code == 400, fields
        # A parent in another cycle also lends the new goal its due date, outside this cycle.
        assert list(response.json()) in ([field], [field, "due_date"]), fields
        if message is not None:
            assert response.json()[field] == [message], fields
    assert counts(cast.org) == before


@pytest.mark.parametrize(
    "kr, field, message",
    [
        ({"start_value": 5, "target_value": 5}, "target_value", services.TARGET_EQUALS_START),
        ({"start_value": "five"}, "start_value", "A valid number is required."),
        ({"target_value": 10**20}, "target_value", None),
        ({"weight": 0}, "weight", services.WEIGHT_POSITIVE),
        ({"kind": "vibes"}, "kind", None),
    ],
)
def test_it_refuses_a_bad_key_result_inside_a_new_goal(cast, cycle, kr, field, message):
    before = counts(cast.org)
    response = api(cast.member).post(
        url(cast.org, "goals/"),
        {"cycle": cycle.pk, "title": "Goal", "key_results": [one_kr("Fine"), one_kr("Bad", **kr)]},
        format="json",
    )
    assert response.status_code == 400
    # Errors name the key result by its position in the list: only the second is wrong.
    errors = response.json()["key_results"]
    assert list(errors) == ["1"]
    assert list(errors["1"]) == [field]
    if message is not None:
        assert errors["1"][field] == [message]
    assert counts(cast.org) == before


def test_it_edits_a_goal_and_flags_a_new_parent_for_reapproval(cast, cycle, cascade):
    objective, unit_goal, member_goal = cascade
    client = api(cast.member)
    response = client.patch(
        url(cast.org, f"goals/{member_goal.pk}/"),
        {"title": "Write and publish the onboarding guide", "description": "In the wiki."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["needs_reapproval"] is False
    response = client.patch(
        url(cast.org, f"goals/{member_goal.pk}/"), {"parent": objective.pk}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    # The approved parent counts until the approver accepts the new one (issue 6).
    assert (body["parent"], body["needs_reapproval"]) == (unit_goal.pk, True)
    assert body["pending_changes"] == {"parent_id": objective.pk}
    assert body["approved_snapshot"]["parent_id"] == unit_goal.pk
    goal = read_goal(member_goal)
    assert (goal.title, goal.parent_id) == ("Write and publish the onboarding guide", unit_goal.pk)


def test_it_refuses_a_parent_that_would_make_a_loop(cast, cascade):
    objective, unit_goal, member_goal = cascade
    client = api(cast.admin)
    before = counts(cast.org)
    for parent in (member_goal.pk, unit_goal.pk):
        response = client.patch(
            url(cast.org, f"goals/{unit_goal.pk}/"), {"parent": parent}, format="json"
        )
        assert response.status_code == 400
        assert response.json() == {"parent": [services.PARENT_LOOP]}
    assert read_goal(unit_goal).parent_id == objective.pk
    assert counts(cast.org) == before


def test_it_refuses_bad_goal_edits_and_saves_nothing(cast, cycle, objective, draft, elsewhere):
    client = api(cast.member)
    before = counts(cast.org)
    for fields, field, message in _bad_goal_cases(cast, cycle, objective, elsewhere):
        if field in ("cycle", "owner"):
            message = NOT_CHANGEABLE
        response = client.patch(url(cast.org, f"goals/{draft.pk}/"), fields, format="json")
        assert response.status_code == 400, fields
        assert list(response.json()) == [field], fields
        if message is not None:
            assert response.json()[field] == [message], fields
    assert counts(cast.org) == before
    goal = read_goal(draft)
    assert (goal.title, goal.parent_id, goal.weight, goal.manual_progress) == (
        "Draft a plan",
        objective.pk,
        Decimal(1),
        None,
    )


def test_it_points_status_changes_to_the_actions(cast, draft):
    response = api(cast.member).patch(
        url(cast.org, f"goals/{draft.pk}/"),
        {"status": "approved", "level": "org", "key_results": []},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": [STATUS_BY_ACTION],
        "level": [NOT_CHANGEABLE],
        "key_results": [KEY_RESULTS_SEPARATELY],
    }
    assert read_goal(draft).status == GoalStatus.DRAFT


def test_it_refuses_to_let_a_member_edit_someone_elses_goal(cast, cycle):
    theirs = make_goal(cast.member2, cycle, title="Carol's")
    response = api(cast.member).patch(
        url(cast.org, f"goals/{theirs.pk}/"), {"title": "Bob's now"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": services.NOT_ALLOWED}
    assert read_goal(theirs).title == "Carol's"


def test_it_has_no_delete_for_goals(cast, draft):
    response = api(cast.admin).delete(url(cast.org, f"goals/{draft.pk}/"))
    assert response.status_code == 405
    assert read_goal(draft).status == GoalStatus.DRAFT


# --- Approval actions -------------------------------------------------------------


def test_it_takes_a_goal_from_draft_through_approval_to_completion(cast, draft):
    owner, manager = api(cast.member), api(cast.manager)
    path = url(cast.org, f"goals/{draft.pk}/")
    assert owner.post(path + "submit/").json()["status"] == "submitted"
    response = manager.post(path + "request-changes/", {"comment": "Add a date"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "changes_requested"
    assert owner.post(path + "submit/").json()["status"] == "submitted"
    response = manager.post(path + "approve/")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["approved_snapshot"]["parent_id"] == draft.parent_id
    response = owner.post(path + "complete/")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["health"]["code"]) == ("completed", "done")

    events = api(cast.member).get(path + "events/").json()
    assert [e["kind"] for e in events["results"]] == [
        "completed",
        "approved",
        "submitted",
        "changes_requested",
        "submitted",
        "created",
    ]
    changes = events["results"][3]
    assert (changes["comment"], changes["actor"], changes["actor_name"]) == (
        "Add a date",
        cast.manager.pk,
        "Mallory Manager (Acme)",
    )
    assert changes["before"] == {"status": "submitted"}
    assert changes["after"] == {"status": "changes_requested"}


def test_it_cancels_a_goal_with_a_comment(cast, cascade):
    objective, unit_goal, member_goal = cascade
    response = api(cast.manager).post(
        url(cast.org, f"goals/{member_goal.pk}/cancel/"), {"comment": "Merged"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    with tenant_context(cast.org.pk):
        assert GoalEvent.objects.filter(goal=member_goal).first().comment == "Merged"


@pytest.mark.parametrize("comment", [None, "", "   "])
def test_it_refuses_to_request_changes_without_a_comment(cast, submitted, comment):
    before = counts(cast.org)
    body = {} if comment is None else {"comment": comment}
    response = api(cast.manager).post(
        url(cast.org, f"goals/{submitted.pk}/request-changes/"), body, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"comment": [services.COMMENT_REQUIRED]}
    assert read_goal(submitted).status == GoalStatus.SUBMITTED
    assert counts(cast.org) == before


def test_it_refuses_approval_by_a_member(cast, cycle):
    theirs = make_goal(cast.member2, cycle, title="Carol's")
    with tenant_context(cast.org.pk):
        services.goal_submit(actor=Actor(cast.member2), goal=theirs)
    client = api(cast.member)
    for action in ("approve/", "request-changes/"):
        response = client.post(
            url(cast.org, f"goals/{theirs.pk}/{action}"), {"comment": "No"}, format="json"
        )
        assert response.status_code == 403
        assert response.json() == {"detail": services.NOT_ALLOWED}
    assert read_goal(theirs).status == GoalStatus.SUBMITTED


@pytest.mark.parametrize("who", ["manager", "admin"])
def test_it_refuses_to_let_anyone_approve_their_own_goal(cast, cycle, who):
    own = make_goal(getattr(cast, who), cycle, title="My own")
    with tenant_context(cast.org.pk):
        services.goal_submit(actor=Actor(getattr(cast, who)), goal=own)
    response = api(getattr(cast, who)).post(url(cast.org, f"goals/{own.pk}/approve/"))
    assert response.status_code == 403
    assert response.json() == {"detail": services.OWN_GOAL}
    assert read_goal(own).status == GoalStatus.SUBMITTED


def test_it_refuses_a_transition_from_the_wrong_state(cast, draft):
    response = api(cast.member).post(url(cast.org, f"goals/{draft.pk}/complete/"))
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [services.BAD_TRANSITION.format(status="draft", action="completed")]
    }
    assert read_goal(draft).status == GoalStatus.DRAFT


def test_it_refuses_a_submit_by_someone_else(cast, draft):
    response = api(cast.member2).post(url(cast.org, f"goals/{draft.pk}/submit/"))
    assert response.status_code == 403
    assert read_goal(draft).status == GoalStatus.DRAFT


# --- Key results ---------------------------------------------------------------------


def test_it_adds_edits_and_removes_a_key_result(cast, draft):
    client = api(cast.member)
    response = client.post(
        url(cast.org, "key-results/"),
        {"goal": draft.pk, "title": "NPS", "start_value": "20", "target_value": "45.5"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["goal"], body["title"], body["target_value"], body["current_value"]) == (
        draft.pk,
        "NPS",
        "45.5",
        "20",
    )
    path = url(cast.org, f"key-results/{body['id']}/")
    assert client.get(path).json()["title"] == "NPS"

    response = client.patch(
        path, {"title": "Net promoter score", "target_value": 50}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["target_value"]) == (
        "Net promoter score",
        "50",
    )

    assert client.delete(path).status_code == 204
    assert client.get(path).status_code == 404
    with tenant_context(cast.org.pk):
        assert list(KeyResult.objects.filter(goal=draft).values_list("title", flat=True)) == [
            "Measure"
        ]
        kinds = list(GoalEvent.objects.filter(goal=draft).values_list("kind", flat=True))
    assert kinds == ["key_result_removed", "key_result_edited", "key_result_added", "created"]


@pytest.mark.parametrize(
    "method, fields, field, message",
    [
        (
            "post",
            {"start_value": 7, "target_value": "7.0"},
            "target_value",
            services.TARGET_EQUALS_START,
        ),
        ("post", {"target_value": "lots"}, "target_value", "A valid number is required."),
        ("post", {"weight": -1}, "weight", services.WEIGHT_POSITIVE),
        ("post", {"goal": "other_org_goal"}, "goal", services.PARENT_NOT_FOUND),
        ("post", {"goal": "private_goal"}, "goal", services.PARENT_NOT_FOUND),
        ("patch", {"target_value": 0}, "target_value", services.TARGET_EQUALS_START),
        ("patch", {"weight": 0}, "weight", services.WEIGHT_POSITIVE),
        ("patch", {"start_value": "1e30"}, "start_value", None),
        ("patch", {"current_value": 50}, "current_value", CURRENT_VALUE_BY_CHECKIN),
    ],
)
def test_it_refuses_bad_key_result_input(cast, draft, elsewhere, method, fields, field, message):
    fields = {k: elsewhere[v].pk if k == "goal" else v for k, v in fields.items()}
    kr = kr_of(draft)
    client = api(cast.member)
    before = counts(cast.org)
    if method == "post":
        body = {"goal": draft.pk, "title": "New", "start_value": 0, "target_value": 10, **fields}
        response = client.post(url(cast.org, "key-results/"), body, format="json")
    else:
        response = client.patch(url(cast.org, f"key-results/{kr.pk}/"), fields, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message is not None:
        assert response.json()[field] == [message]
    assert counts(cast.org) == before
    with tenant_context(cast.org.pk):
        kr.refresh_from_db()
    assert (kr.start_value, kr.target_value, kr.weight) == (0, 100, 1)


def test_it_refuses_key_result_changes_on_someone_elses_goal(cast, cycle):
    theirs = make_goal(cast.member2, cycle, title="Carol's", key_results=[one_kr()])
    client = api(cast.member)
    before = counts(cast.org)
    added = client.post(
        url(cast.org, "key-results/"), {"goal": theirs.pk, "title": "Mine"}, format="json"
    )
    path = url(cast.org, f"key-results/{kr_of(theirs).pk}/")
    edited = client.patch(path, {"title": "Mine"}, format="json")
    removed = client.delete(path)
    assert added.status_code == edited.status_code == removed.status_code == 403
    assert counts(cast.org) == before


# --- Check-ins ----------------------------------------------------------------------


def test_a_check_in_updates_the_goal_and_every_goal_above_it(cast, cascade):
    objective, unit_goal, member_goal = cascade
    client = api(cast.member)
    kr = kr_of(member_goal)
    response = client.post(
        url(cast.org, f"key-results/{kr.pk}/check-ins/"),
        {"value": "60", "confidence": "medium", "note": " Half the pages "},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["value"], body["confidence"], body["note"], body["author"]) == (
        "60",
        "medium",
        "Half the pages",
        cast.member.pk,
    )
    # The member's goal is at 60%; the unit goal averages its own key result (0) with it;
    # the objective averages its key result (0) with the unit goal.
    percents = [
        client.get(url(cast.org, f"goals/{g.pk}/")).json()["percent"]
        for g in (member_goal, unit_goal, objective)
    ]
    assert percents == [60, 30, 15]
    assert read_goal(member_goal).confidence == "medium"

    explanation = client.get(url(cast.org, f"goals/{objective.pk}/explain/")).json()
    assert explanation["value"] == pytest.approx(0.15)
    assert (explanation["percent"], explanation["uses_manual_progress"]) == (15, False)
    assert explanation["progress"] == pytest.approx(0.15)
    assert [
        (c["kind"], c["id"], c["weight"], c["percent"], c["contribution"])
        for c in explanation["contributions"]
    ] == [
        ("key_result", kr_of(objective).pk, 1.0, 0, 0.0),
        ("goal", unit_goal.pk, 1.0, 30, pytest.approx(0.15)),
    ]


def test_it_shows_a_key_results_check_ins_newest_first(cast, cascade):
    member_goal = cascade[2]
    kr = kr_of(member_goal)
    with tenant_context(cast.org.pk):
        for value in (10, 20):
            services.checkin_create(actor=Actor(cast.member), key_result=kr, value=Decimal(value))
    response = api(cast.member2).get(url(cast.org, f"key-results/{kr.pk}/check-ins/"))
    assert response.status_code == 200
    assert [c["value"] for c in response.json()["results"]] == ["20", "10"]
    assert response.json()["results"][0]["author_name"] == "Bob Member (Acme)"


def test_it_explains_a_goal_on_manual_progress(cast, cycle):
    goal = make_goal(cast.manager, cycle, owner=cast.member, title="Soft", manual_progress=40)
    body = api(cast.member).get(url(cast.org, f"goals/{goal.pk}/explain/")).json()
    assert (body["value"], body["percent"], body["manual_progress"]) == (0.4, 40, "40")
    assert (body["uses_manual_progress"], body["contributions"]) == (True, [])


def test_it_lets_a_manager_check_in_on_a_reports_goal(cast, cascade):
    kr = kr_of(cascade[2])
    response = api(cast.manager).post(
        url(cast.org, f"key-results/{kr.pk}/check-ins/"), {"value": 5}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["author"] == cast.manager.pk


def test_it_refuses_a_check_in_on_someone_elses_goal(cast, cascade):
    kr = kr_of(cascade[2])
    before = counts(cast.org)
    response = api(cast.member2).post(
        url(cast.org, f"key-results/{kr.pk}/check-ins/"), {"value": 5}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": services.NOT_ALLOWED}
    assert counts(cast.org) == before


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"value": "sixty"}, "value", "A valid number is required."),
        ({}, "value", None),
        ({"value": None}, "value", None),
        ({"value": "NaN"}, "value", None),
        ({"value": 10**20}, "value", None),
        ({"value": 5, "confidence": "certain"}, "confidence", None),
    ],
)
def test_it_refuses_a_bad_check_in(cast, cascade, body, field, message):
    kr = kr_of(cascade[2])
    before = counts(cast.org)
    response = api(cast.member).post(
        url(cast.org, f"key-results/{kr.pk}/check-ins/"), body, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message is not None:
        assert response.json()[field] == [message]
    assert counts(cast.org) == before


def test_it_refuses_a_check_in_on_a_draft_or_a_boolean_out_of_range(cast, cycle, draft):
    client = api(cast.member)
    before = counts(cast.org)
    response = client.post(
        url(cast.org, f"key-results/{kr_of(draft).pk}/check-ins/"), {"value": 5}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [services.CHECKIN_NOT_ACTIVE]}
    done = make_goal(
        cast.manager,
        cycle,
        owner=cast.member,
        title="Ship",
        key_results=[{"title": "Shipped", "kind": "boolean"}],
        status=GoalStatus.APPROVED,
    )
    before = counts(cast.org)
    response = client.post(
        url(cast.org, f"key-results/{kr_of(done).pk}/check-ins/"), {"value": 2}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["value"]
    assert counts(cast.org) == before


# --- Other organisations and invisible goals --------------------------------------


@pytest.mark.parametrize(
    "method, rest, body",
    [
        ("get", "goals/{goal}/", None),
        ("patch", "goals/{goal}/", {"title": "Mine"}),
        ("post", "goals/{goal}/submit/", None),
        ("post", "goals/{goal}/approve/", None),
        ("post", "goals/{goal}/request-changes/", {"comment": "x"}),
        ("post", "goals/{goal}/complete/", None),
        ("post", "goals/{goal}/cancel/", None),
        ("get", "goals/{goal}/explain/", None),
        ("get", "goals/{goal}/events/", None),
        ("get", "key-results/{kr}/", None),
        ("patch", "key-results/{kr}/", {"title": "Mine"}),
        ("delete", "key-results/{kr}/", None),
        ("get", "key-results/{kr}/check-ins/", None),
        ("post", "key-results/{kr}/check-ins/", {"value": 1}),
    ],
)
def test_it_hides_other_organisations_and_private_goals_like_missing_ones(
    cast, cycle, method, rest, body
):
    with tenant_context(cast.other_org.pk):
        other_cycle = Cycle.objects.create(
            org=cast.other_org, name="Q", start=cycle.start, end=cycle.end
        )
    theirs = make_goal(
        cast.other_manager,
        other_cycle,
        owner=cast.other_member,
        title="Globex secret",
        key_results=[one_kr()],
        status=GoalStatus.APPROVED,
    )
    private = make_goal(
        cast.manager,
        cycle,
        owner=cast.member2,
        title="Carol's secret",
        visibility="private",
        key_results=[one_kr()],
        status=GoalStatus.APPROVED,
    )
    before = (counts(cast.org), counts(cast.other_org))
    answers = []
    for goal, kr in [
        (theirs, kr_of(theirs)),
        (private, kr_of(private)),
        (Goal(pk=10**9), KeyResult(pk=10**9)),
    ]:
        path = url(cast.org, rest.format(goal=goal.pk, kr=kr.pk))
        client = api(cast.member)
        response = getattr(client, method)(path, body, format="json")
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 404
    assert (counts(cast.org), counts(cast.other_org)) == before


def test_it_answers_404_for_ids_too_large_for_the_database(cast):
    client = api(cast.admin)
    assert client.get(url(cast.org, f"goals/{10**30}/")).status_code == 404
    assert client.get(url(cast.org, f"key-results/{10**30}/")).status_code == 404


# --- The cascade tree -----------------------------------------------------------------


def test_it_nests_the_visible_goals_of_a_cycle(cast, cycle, cascade):
    objective, unit_goal, member_goal = cascade
    second = make_goal(cast.admin, cycle, level=Level.ORGANISATION, title="An earlier title")
    loose = make_goal(cast.member, cycle, title="A loose idea")
    make_goal(cast.member2, cycle, parent=objective, title="Hidden", visibility="private")
    response = api(cast.member).get(url(cast.org, f"tree/?cycle={cycle.pk}"))
    assert response.status_code == 200
    body = response.json()
    assert body["cycle"]["id"] == cycle.pk
    assert body["count"] == 5

    def shape(nodes):
        return [(n["title"], shape(n["children"])) for n in nodes]

    # Organisation objectives first, then by title; the private goal is not there.
    assert shape(body["goals"]) == [
        ("An earlier title", []),
        (
            "Double weekly active teams",
            [("Ship the new onboarding", [("Write the onboarding guide", [])])],
        ),
        ("A loose idea", []),
    ]
    node = body["goals"][1]["children"][0]
    assert node == {
        "id": unit_goal.pk,
        "title": "Ship the new onboarding",
        "level": "unit",
        "status": "approved",
        "status_label": "Active",
        "owner": {"id": cast.manager.pk, "name": "Mallory Manager (Acme)"},
        "unit": {"id": cast.engineering.pk, "name": "Engineering"},
        "progress": 0.0,
        "percent": 0,
        "health": {
            "code": "off_track",
            "label": "Off track",
            "stale": False,
            "expected_percent": 50,
            "reason": "",
        },
        "needs_reapproval": False,
        "children": node["children"],
    }
    assert {second.pk, loose.pk} <= {n["id"] for n in body["goals"]}


def test_it_builds_the_tree_in_a_constant_number_of_queries(cast, cycle, cascade):
    client = api(cast.member)
    path = url(cast.org, f"tree/?cycle={cycle.pk}")
    with CaptureQueriesContext(connection) as small:
        assert client.get(path).json()["count"] == 3
    parent = cascade[2]
    for depth in range(12):
        parent = make_goal(
            cast.manager,
            cycle,
            owner=cast.member2 if depth % 2 else cast.member,
            unit=cast.platform,
            parent=parent,
            title=f"Level {depth}",
            status=GoalStatus.APPROVED,
        )
        make_goal(cast.member, cycle, parent=parent, title=f"Side {depth}")
    with CaptureQueriesContext(connection) as large:
        assert client.get(path).json()["count"] == 27
    # Session, user, organisation, membership (and the row-level security settings on
    # PostgreSQL), the cycle, the member's reporting subtree and one query for all goals.
    assert len(large) == len(small)


def test_it_needs_a_cycle_of_this_organisation_for_the_tree(cast, cycle):
    with tenant_context(cast.other_org.pk):
        theirs = Cycle.objects.create(
            org=cast.other_org, name="Q", start=cycle.start, end=cycle.end
        )
    client = api(cast.member)
    for query in ("", "?cycle=abc", f"?cycle={theirs.pk}", "?cycle=99999999"):
        response = client.get(url(cast.org, f"tree/{query}"))
        assert response.status_code == 400, query
        assert list(response.json()) == ["cycle"]


# --- Bad input is a 400, never a 500 ------------------------------------------------


@pytest.mark.parametrize(
    "rest, body",
    [
        ("goals/", '{"title": '),
        ("goals/", "[1, 2]"),
        ("goals/", '"A goal"'),
        ("goals/", "null"),
        ("goals/", '{"cycle": {cycle}, "title": {"a": 1}}'),
        ("goals/", '{"cycle": "abc", "title": "X"}'),
        ("goals/", '{"cycle": true, "title": "X"}'),
        ("goals/", '{"cycle": 1.5, "title": "X"}'),
        ("goals/", '{"cycle": 1000000000000000000000000000000, "title": "X"}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "weight": 1e400}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "weight": NaN}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "weight": "Infinity"}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "weight": 123456789}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "manual_progress": 1e30}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "due_date": 20270101}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "due_date": "99999-01-01"}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "level": ["org"]}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "approve": "perhaps"}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "parent": [1]}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "key_results": "many"}'),
        ("goals/", '{"cycle": {cycle}, "title": "X", "key_results": [1]}'),
        (
            "goals/",
            '{"cycle": {cycle}, "title": "X", "key_results": [{"title": "K", "milestones": "a"}]}',
        ),
        ("goals/", '{"cycle": {cycle}, "title": "a\\u0000b"}'),
        ("goals/", '{"cycle": {cycle}, "title": "' + "x" * 201 + '"}'),
        ("goals/{goal}/", "[]"),
        ("goals/{goal}/", '{"weight": "1e999999999"}'),
        ("goals/{goal}/", '{"manual_progress": "0x10"}'),
        ("goals/{goal}/", '{"parent": "1; DROP TABLE goals_goal"}'),
        ("goals/{goal}/", '{"due_date": null}'),
        ("goals/{goal}/request-changes/", '{"comment": ["x"]}'),
        ("goals/{goal}/cancel/", '{"comment": {"a": 1}}'),
        ("key-results/", '{"goal": {goal}, "title": "K", "start_value": "1,5"}'),
        ("key-results/", '{"goal": {goal}, "title": "K", "target_value": 99999999999999999}'),
        ("key-results/", '{"goal": {goal}, "title": "K", "direction": "sideways"}'),
        ("key-results/", '{"goal": {goal}, "title": "K", "weight": true}'),
        ("key-results/{kr}/", '{"start_value": "1.23456"}'),
        ("key-results/{kr}/", '{"owner": "me"}'),
        ("key-results/{kr}/check-ins/", '{"value": true}'),
        ("key-results/{kr}/check-ins/", '{"value": [1]}'),
        ("key-results/{kr}/check-ins/", '{"value": "1e400"}'),
        ("key-results/{kr}/check-ins/", '{"value": 1, "note": {"a": 1}}'),
        ("cycles/", '{"name": "Q", "start": "2027-01-01", "end": "soon"}'),
        ("cycles/", '{"name": "' + "x" * 61 + '", "start": "2027-01-01", "end": "2027-02-01"}'),
        ("cycles/{cycle}/", '{"status": "paused"}'),
    ],
)
def test_it_answers_bad_input_with_400(cast, cycle, cascade, rest, body):
    member_goal = cascade[2]
    path = url(cast.org, rest.format(cycle=cycle.pk, goal=member_goal.pk, kr=kr_of(member_goal).pk))
    body = body.replace("{cycle}", str(cycle.pk)).replace("{goal}", str(member_goal.pk))
    method = "patch" if rest.endswith("}/") else "post"
    who = cast.admin if rest.startswith("cycles/") else cast.manager
    before = counts(cast.org)
    response = getattr(api(who), method)(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()
    assert counts(cast.org) == before


# --- Tokens ---------------------------------------------------------------------------


def test_it_works_with_an_organisation_token(cast, cascade):
    with tenant_context(cast.org.pk):
        _, raw = org_services.api_token_create(membership=cast.member, name="script")
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(url(cast.org, "goals/")).json()["count"] == 3
    kr = kr_of(cascade[2])
    response = client.post(
        url(cast.org, f"key-results/{kr.pk}/check-ins/"), {"value": 30}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["author"] == cast.member.pk
    assert client.get(url(cast.other_org, "goals/")).status_code == 404


def test_it_refuses_anonymous_callers(cast, cascade):
    response = APIClient().get(url(cast.org, "goals/"))
    assert response.status_code == 401


# --- Schema -----------------------------------------------------------------------------


def test_it_puts_every_goals_endpoint_in_the_schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    schema = response.json()
    validate_schema(schema)
    prefix = "/api/v1/orgs/{org_slug}/"
    assert {
        prefix + path
        for path in (
            "cycles/",
            "cycles/{cycle_pk}/",
            "goals/",
            "goals/{goal_pk}/",
            "goals/{goal_pk}/submit/",
            "goals/{goal_pk}/approve/",
            "goals/{goal_pk}/request-changes/",
            "goals/{goal_pk}/complete/",
            "goals/{goal_pk}/cancel/",
            "goals/{goal_pk}/explain/",
            "goals/{goal_pk}/events/",
            "key-results/",
            "key-results/{kr_pk}/",
            "key-results/{kr_pk}/check-ins/",
            "tree/",
        )
    } <= set(schema["paths"])
    node = schema["components"]["schemas"]["TreeNode"]["properties"]["children"]
    assert node["items"] == {"$ref": "#/components/schemas/TreeNode"}


# --- Milestones -------------------------------------------------------------------------


def milestone_goal(cast, cycle, status=GoalStatus.APPROVED, **fields) -> Goal:
    """The member's goal with one milestones key result: Design and Build."""
    return make_goal(
        cast.manager,
        cycle,
        owner=cast.member,
        title="Launch the beta",
        key_results=[{"title": "Beta", "kind": "milestones", "milestones": ["Design", "Build"]}],
        status=status,
        **fields,
    )


def milestones_of(goal: Goal) -> list[Milestone]:
    with tenant_context(goal.org_id):
        return list(Milestone.objects.filter(key_result__goal=goal).order_by("position", "pk"))


def test_it_ticks_and_reopens_a_milestone(cast, cycle, objective):
    goal = milestone_goal(cast, cycle, parent=objective)
    design, build = milestones_of(goal)
    client = api(cast.member)
    response = client.post(url(cast.org, f"milestones/{design.pk}/"), {"done": True}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["milestones"] == [
        {"id": design.pk, "title": "Design", "done": True},
        {"id": build.pk, "title": "Build", "done": False},
    ]
    assert (body["percent"], body["current_value"]) == (50, "1")
    assert read_goal(goal).percent == 50
    assert read_goal(objective).progress > 0
    with tenant_context(cast.org.pk):
        assert GoalEvent.objects.filter(goal=goal, kind="milestone_done").count() == 1
    response = client.post(
        url(cast.org, f"milestones/{design.pk}/"), {"done": False}, format="json"
    )
    assert response.status_code == 200
    assert [m["done"] for m in response.json()["milestones"]] == [False, False]
    assert read_goal(goal).percent == 0
    with tenant_context(cast.org.pk):
        assert GoalEvent.objects.filter(goal=goal, kind="milestone_reopened").count() == 1


def test_it_shows_milestones_with_the_key_result(cast, cycle):
    goal = milestone_goal(cast, cycle)
    design, build = milestones_of(goal)
    body = api(cast.member).get(url(cast.org, f"goals/{goal.pk}/")).json()
    assert body["key_results"][0]["milestones"] == [
        {"id": design.pk, "title": "Design", "done": False},
        {"id": build.pk, "title": "Build", "done": False},
    ]


def test_it_lets_a_manager_tick_a_milestone_on_a_reports_goal(cast, cycle):
    design, _ = milestones_of(milestone_goal(cast, cycle))
    response = api(cast.manager).post(
        url(cast.org, f"milestones/{design.pk}/"), {"done": True}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["milestones"][0]["done"] is True


def test_it_refuses_a_milestone_on_someone_elses_goal(cast, cycle):
    goal = milestone_goal(cast, cycle)
    design, _ = milestones_of(goal)
    before = counts(cast.org)
    response = api(cast.member2).post(
        url(cast.org, f"milestones/{design.pk}/"), {"done": True}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": services.NOT_ALLOWED}
    assert counts(cast.org) == before
    assert milestones_of(goal)[0].done is False


@pytest.mark.parametrize("status", [GoalStatus.DRAFT, GoalStatus.SUBMITTED])
def test_it_refuses_a_milestone_on_a_goal_that_is_not_active(cast, cycle, status):
    goal = milestone_goal(cast, cycle, status=GoalStatus.DRAFT)
    if status == GoalStatus.SUBMITTED:
        with tenant_context(cast.org.pk):
            services.goal_submit(actor=Actor(cast.member), goal=goal)
    design, _ = milestones_of(goal)
    before = counts(cast.org)
    response = api(cast.member).post(
        url(cast.org, f"milestones/{design.pk}/"), {"done": True}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [services.CHECKIN_NOT_ACTIVE]}
    assert counts(cast.org) == before
    assert milestones_of(goal)[0].done is False


@pytest.mark.parametrize("body", [{}, {"done": None}, {"done": "perhaps"}, {"done": [True]}])
def test_it_refuses_a_milestone_without_done(cast, cycle, body):
    goal = milestone_goal(cast, cycle)
    design, _ = milestones_of(goal)
    response = api(cast.member).post(url(cast.org, f"milestones/{design.pk}/"), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["done"]
    assert milestones_of(goal)[0].done is False


def test_it_hides_milestones_of_other_organisations_and_private_goals(cast, cycle):
    with tenant_context(cast.other_org.pk):
        other_cycle = Cycle.objects.create(
            org=cast.other_org, name="Q", start=cycle.start, end=cycle.end
        )
    theirs = make_goal(
        cast.other_manager,
        other_cycle,
        owner=cast.other_member,
        title="Globex secret",
        key_results=[{"title": "Beta", "kind": "milestones", "milestones": ["Design"]}],
        status=GoalStatus.APPROVED,
    )
    private = make_goal(
        cast.manager,
        cycle,
        owner=cast.member2,
        title="Carol's secret",
        visibility="private",
        key_results=[{"title": "Beta", "kind": "milestones", "milestones": ["Design"]}],
        status=GoalStatus.APPROVED,
    )
    before = (counts(cast.org), counts(cast.other_org))
    answers = []
    for pk in (milestones_of(theirs)[0].pk, milestones_of(private)[0].pk, 10**9, 10**30):
        response = api(cast.member).post(
            url(cast.org, f"milestones/{pk}/"), {"done": True}, format="json"
        )
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1] == answers[2] == answers[3]
    assert answers[0][0] == 404
    assert (counts(cast.org), counts(cast.other_org)) == before
    assert milestones_of(theirs)[0].done is milestones_of(private)[0].done is False


# --- Cascading a goal -------------------------------------------------------------------


def cascade_to(who: Membership, goal: Goal, **body):
    body.setdefault("title", "Our part in doubling active teams")
    return api(who).post(url(goal.org, f"goals/{goal.pk}/cascade/"), body, format="json")


def test_it_cascades_a_goal_to_units_and_people_as_linked_drafts(cast, cycle, objective):
    response = cascade_to(
        cast.manager,
        objective,
        units=[cast.engineering.pk, cast.platform.pk],
        people=[cast.member.pk, cast.member2.pk],
    )
    assert response.status_code == 201
    body = response.json()
    shown = [(g["level"], g["owner"], g["unit"], g["status"], g["parent"]) for g in body]
    assert shown == [
        # Engineering's goal goes to its lead; Platform has none, so to whoever cascaded.
        ("unit", cast.manager.pk, cast.engineering.pk, "draft", objective.pk),
        ("unit", cast.manager.pk, cast.platform.pk, "draft", objective.pk),
        ("individual", cast.member.pk, cast.platform.pk, "draft", objective.pk),
        ("individual", cast.member2.pk, cast.platform.pk, "draft", objective.pk),
    ]
    assert {g["title"] for g in body} == {"Our part in doubling active teams"}
    assert body[2]["owner_name"] == "Bob Member (Acme)"
    assert body[2]["key_results"] == []
    with tenant_context(cast.org.pk):
        children = Goal.objects.filter(parent=objective)
        assert sorted(children.values_list("pk", flat=True)) == sorted(g["id"] for g in body)
        assert set(children.values_list("status", flat=True)) == {GoalStatus.DRAFT}
        assert GoalEvent.objects.filter(goal__parent=objective, kind="cascaded").count() == 4


def test_it_approves_at_once_only_the_goals_of_direct_reports(cast, cycle, objective):
    response = cascade_to(
        cast.admin, objective, people=[cast.manager.pk, cast.member.pk], approve=True
    )
    assert response.status_code == 201
    statuses = {g["owner"]: g["status"] for g in response.json()}
    assert statuses == {cast.manager.pk: "approved", cast.member.pk: "draft"}


def test_it_leaves_direct_reports_goals_as_drafts_without_approve(cast, cycle, objective):
    response = cascade_to(cast.manager, objective, people=[cast.member.pk])
    assert response.status_code == 201
    assert [g["status"] for g in response.json()] == ["draft"]
    response = cascade_to(cast.manager, objective, people=[cast.member2.pk], approve=True)
    assert [g["status"] for g in response.json()] == ["approved"]


def test_it_counts_a_repeated_id_once(cast, cycle, objective):
    response = cascade_to(cast.manager, objective, people=[cast.member.pk, cast.member.pk])
    assert response.status_code == 201
    assert len(response.json()) == 1


def test_it_lets_an_admin_cascade_to_any_unit_and_anyone_active(cast, cycle, objective):
    response = cascade_to(cast.admin, objective, units=[cast.company.pk], people=[cast.member2.pk])
    assert response.status_code == 201
    assert [(g["level"], g["owner"]) for g in response.json()] == [
        ("unit", cast.admin.pk),
        ("individual", cast.member2.pk),
    ]


def _out_of_reach(cast) -> list[tuple[str, int]]:
    with tenant_context(cast.org.pk):
        Membership.objects.filter(pk=cast.member2.pk).update(is_active=False)
    return [
        ("units", cast.company.pk),  # not a unit the manager leads
        ("units", cast.other_unit.pk),
        ("units", 10**9),
        ("units", 10**30),
        ("people", cast.admin.pk),  # not in the manager's subtree
        ("people", cast.manager.pk),  # themselves
        ("people", cast.member2.pk),  # no longer active
        ("people", cast.other_member.pk),
        ("people", 10**9),
    ]


def test_it_refuses_units_and_people_out_of_reach_alike(cast, cycle, objective):
    before = counts(cast.org)
    for field, pk in _out_of_reach(cast):
        body = {"units": [cast.engineering.pk], "people": [cast.member.pk], field: [pk]}
        response = cascade_to(cast.manager, objective, **body)
        assert response.status_code == 400, (field, pk)
        assert response.json() == {field: [services.CASCADE_OUT_OF_REACH]}, (field, pk)
    assert counts(cast.org) == before


def test_it_refuses_another_organisations_people_for_an_admin(cast, cycle, objective):
    response = cascade_to(cast.admin, objective, people=[cast.other_member.pk])
    assert response.status_code == 400
    assert response.json() == {"people": [services.CASCADE_OUT_OF_REACH]}


@pytest.mark.parametrize("body", [{}, {"units": [], "people": []}, {"approve": True}])
def test_it_needs_someone_to_cascade_to(cast, cycle, objective, body):
    before = counts(cast.org)
    response = cascade_to(cast.manager, objective, **body)
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [services.CASCADE_NOBODY]}
    assert counts(cast.org) == before


def test_it_refuses_to_cascade_a_closed_goal(cast, cycle, objective):
    with tenant_context(cast.org.pk):
        services.goal_complete(actor=Actor(cast.admin), goal=objective)
    before = counts(cast.org)
    response = cascade_to(cast.manager, objective, people=[cast.member.pk])
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [services.CASCADE_CLOSED]}
    assert counts(cast.org) == before


def test_it_refuses_a_cascade_by_a_member_without_reports(cast, cycle, objective):
    before = counts(cast.org)
    response = cascade_to(cast.member, objective, people=[cast.member2.pk])
    assert response.status_code == 403
    assert response.json() == {"detail": services.NOT_ALLOWED}
    assert counts(cast.org) == before


def test_it_hides_other_organisations_and_private_goals_from_the_cascade(cast, cycle):
    with tenant_context(cast.other_org.pk):
        other_cycle = Cycle.objects.create(
            org=cast.other_org, name="Q", start=cycle.start, end=cycle.end
        )
    theirs = make_goal(cast.other_admin, other_cycle, title="Globex secret")
    private = make_goal(
        cast.admin, cycle, owner=cast.admin, title="Alice's secret", visibility="private"
    )
    before = (counts(cast.org), counts(cast.other_org))
    answers = []
    for pk in (theirs.pk, private.pk, 10**9):
        response = api(cast.manager).post(
            url(cast.org, f"goals/{pk}/cascade/"), {"people": [cast.member.pk]}, format="json"
        )
        answers.append((response.status_code, response.json()))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 404
    assert (counts(cast.org), counts(cast.other_org)) == before


@pytest.mark.parametrize(
    "rest, body",
    [
        ("goals/{goal}/cascade/", "[1, 2]"),
        ("goals/{goal}/cascade/", '{"people": '),
        ("goals/{goal}/cascade/", '{"people": "{member}"}'),
        ("goals/{goal}/cascade/", '{"people": ["bob"]}'),
        ("goals/{goal}/cascade/", '{"people": [{"id": {member}}]}'),
        ("goals/{goal}/cascade/", '{"people": [1.5]}'),
        ("goals/{goal}/cascade/", '{"people": [null]}'),
        ("goals/{goal}/cascade/", '{"people": null}'),
        ("goals/{goal}/cascade/", '{"people": [{member}], "approve": "perhaps"}'),
        ("goals/{goal}/cascade/", '{"people": [{member}], "units": {"a": 1}}'),
        ("goals/{goal}/cascade/", '{"people": [' + ", ".join(["1"] * 201) + "]}"),
        ("milestones/{milestone}/", "[true]"),
        ("milestones/{milestone}/", '{"done": '),
        ("milestones/{milestone}/", '{"done": {"a": 1}}'),
        ("milestones/{milestone}/", '{"done": "1e400"}'),
    ],
)
def test_it_answers_bad_cascade_and_milestone_input_with_400(cast, cycle, objective, rest, body):
    goal = milestone_goal(cast, cycle, parent=objective)
    path = url(cast.org, rest.format(goal=objective.pk, milestone=milestones_of(goal)[0].pk))
    body = body.replace("{member}", str(cast.member.pk))
    before = counts(cast.org)
    response = api(cast.manager).post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()
    assert counts(cast.org) == before


def test_it_puts_the_milestone_and_cascade_endpoints_in_the_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    prefix = "/api/v1/orgs/{org_slug}/"
    milestone = schema["paths"][prefix + "milestones/{milestone_pk}/"]["post"]
    assert milestone["operationId"] == "milestones_update"
    cascade = schema["paths"][prefix + "goals/{goal_pk}/cascade/"]["post"]
    assert cascade["operationId"] == "goals_cascade"
    assert cascade["responses"]["201"]["content"]["application/json"]["schema"]["type"] == "array"

"""The goal pages: create (with inline key results and the SMART check), edit, status
actions, key results, and the goal page with "why N%", its alignment path and timeline."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape

from core.tenancy import tenant_context
from goals import services, smart
from goals.access import Actor
from goals.forms import (
    CYCLE_NOT_OPEN,
    KR_TITLE_REQUIRED,
    LEVEL_NOT_ALLOWED,
    MILESTONES_REQUIRED,
    NOT_A_DATE,
    NOT_A_NUMBER,
    OWNER_NOT_ALLOWED,
    UNIT_NOT_ALLOWED,
)
from goals.models import Cycle, Goal, GoalEvent, GoalStatus, KeyResult, Level
from goals.views.goal import ACTIVITY_PAGE, BACK_FOR_REAPPROVAL


def url(cast, name: str, *args) -> str:
    return reverse(name, args=[cast.org.slug, *args])


def new_goal(cast, who, cycle, title="Ship the guided setup wizard", **kwargs) -> Goal:
    with tenant_context(cast.org.pk):
        return services.goal_create(actor=Actor(who), cycle=cycle, title=title, **kwargs)


def act(cast, service, who, **kwargs):
    with tenant_context(cast.org.pk):
        return service(actor=Actor(who), **kwargs)


def reload(cast, goal: Goal) -> Goal:
    with tenant_context(cast.org.pk):
        return Goal.objects.get(pk=goal.pk)


def goal_count(cast) -> int:
    with tenant_context(cast.org.pk):
        return Goal.objects.filter(org=cast.org).count()


def kr_count(cast) -> int:
    with tenant_context(cast.org.pk):
        return KeyResult.objects.filter(org=cast.org).count()


def goal_form(cycle, **overrides) -> dict:
    data = {
        "title": "Cut first-reply time on support tickets to 4 hours",
        "description": "",
        "cycle": cycle.pk,
        "level": "individual",
        "parent": "",
        "weight": "1",
        "visibility": "public",
        "due_date": "",
        "manual_progress": "",
    }
    return data | {k: v for k, v in overrides.items()}


# --- Creating goals ------------------------------------------------------------------


def test_a_member_creates_a_goal_aligned_to_an_objective_with_key_results(
    cast, cycle, objective, login
):
    data = goal_form(cycle, parent=objective.pk) | {
        "kr0-title": "Median first-reply time",
        "kr0-kind": "number",
        "kr0-direction": "decrease",
        "kr0-start_value": "12",
        "kr0-target_value": "4",
        "kr0-unit_label": "hours",
        "kr0-weight": "2",
        "kr1-title": "Reply templates",
        "kr1-kind": "milestones",
        "kr1-direction": "increase",
        "kr1-start_value": "0",
        "kr1-weight": "1",
        "kr1-milestones": "Draft\n\nReview with support\nPublish\n",
        # kr2 left as the form shows it: skipped
        "kr2-kind": "number",
        "kr2-direction": "increase",
        "kr2-start_value": "0",
        "kr2-weight": "1",
    }
    response = login(cast.member).post(
        url(cast, "goals:goal_create") + f"?parent={objective.pk}", data
    )
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        goal = Goal.objects.get(org=cast.org, title=data["title"])
        krs = list(goal.key_results.all())
        milestones = [m.title for m in krs[1].milestones.all()]
        events = [e.kind for e in GoalEvent.objects.filter(goal=goal)]
    assert response["Location"] == url(cast, "goals:goal_detail", goal.pk)
    assert (goal.owner, goal.unit, goal.parent_id, goal.status) == (
        cast.member,
        cast.platform,
        objective.pk,
        GoalStatus.DRAFT,
    )
    assert goal.due_date == objective.due_date
    assert [(kr.title, kr.direction, kr.start_value, kr.target_value, kr.weight) for kr in krs] == [
        ("Median first-reply time", "decrease", 12, 4, 2),
        ("Reply templates", "increase", 0, 3, 1),
    ]
    assert milestones == ["Draft", "Review with support", "Publish"]
    assert events == ["created"]


@pytest.mark.parametrize(
    ("who", "level", "unit", "owner", "refusal"),
    [
        ("admin", Level.ORGANISATION, None, None, None),
        ("admin", Level.UNIT, "engineering", None, None),
        ("admin", Level.INDIVIDUAL, None, "member", None),
        ("manager", Level.UNIT, "engineering", None, None),
        ("manager", Level.UNIT, "platform", None, None),
        ("manager", Level.INDIVIDUAL, None, "member", None),
        ("manager", Level.UNIT, "company", None, ("unit", UNIT_NOT_ALLOWED)),
        ("manager", Level.ORGANISATION, None, None, ("level", LEVEL_NOT_ALLOWED)),
        ("member", Level.INDIVIDUAL, None, None, None),
        ("member", Level.UNIT, "platform", None, ("level", LEVEL_NOT_ALLOWED)),
        ("member", Level.ORGANISATION, None, None, ("level", LEVEL_NOT_ALLOWED)),
        ("member", Level.INDIVIDUAL, None, "member2", ("owner", OWNER_NOT_ALLOWED)),
        ("manager", Level.INDIVIDUAL, None, "other_member", ("owner", OWNER_NOT_ALLOWED)),
    ],
)
def test_each_role_creates_only_the_levels_it_may(
    cast, cycle, login, who, level, unit, owner, refusal
):
    data = goal_form(cycle, level=level)
    if unit:
        data["unit"] = getattr(cast, unit).pk
    if owner:
        data["owner"] = getattr(cast, owner).pk
    response = login(getattr(cast, who)).post(url(cast, "goals:goal_create"), data)
    if refusal is None:
        assert response.status_code == 302
        goal = reload(cast, Goal(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1])))
        expected_owner = getattr(cast, owner or who)
        expected_unit = {
            Level.ORGANISATION: None,
            Level.UNIT: getattr(cast, unit) if unit else None,
            Level.INDIVIDUAL: expected_owner.unit,
        }[level]
        assert (goal.level, goal.owner, goal.unit) == (level, expected_owner, expected_unit)
    else:
        field, message = refusal
        assert response.status_code == 400
        assert response.context["form"].errors[field] == [message]
        assert goal_count(cast) == 0


@pytest.mark.parametrize(
    ("who", "levels"),
    [
        ("admin", ["org", "unit", "individual"]),
        ("manager", ["unit", "individual"]),
        ("member", ["individual"]),
    ],
)
def test_the_form_offers_only_the_levels_the_person_may_create(cast, cycle, login, who, levels):
    form = login(getattr(cast, who)).get(url(cast, "goals:goal_create")).context["form"]
    assert [value for value, _ in form.fields["level"].choices] == levels


def test_a_member_may_pick_only_themselves_as_owner_and_a_manager_their_team(cast, cycle, login):
    member_form = login(cast.member).get(url(cast, "goals:goal_create")).context["form"]
    assert list(member_form.fields["owner"].queryset) == [cast.member]
    manager_form = login(cast.manager).get(url(cast, "goals:goal_create")).context["form"]
    assert set(manager_form.fields["owner"].queryset) == {cast.manager, cast.member, cast.member2}


def test_the_form_defaults_to_the_active_cycle_and_its_end(cast, cycle, login):
    with tenant_context(cast.org.pk):
        Cycle.objects.create(
            org=cast.org,
            name="Next quarter",
            start=cycle.end + timedelta(days=1),
            end=cycle.end + timedelta(days=90),
            status=Cycle.Status.PLANNING,
        )
    form = login(cast.member).get(url(cast, "goals:goal_create")).context["form"]
    assert form["cycle"].value() == cycle.pk
    assert form["due_date"].value() == cycle.end
    assert form["level"].value() == Level.INDIVIDUAL
    assert form["weight"].value() == 1


def test_without_an_active_cycle_the_latest_one_is_the_default(cast, login):
    with tenant_context(cast.org.pk):
        older = Cycle.objects.create(
            org=cast.org, name="A", start="2027-01-01", end="2027-03-31", status="planning"
        )
        latest = Cycle.objects.create(
            org=cast.org, name="B", start="2027-04-01", end="2027-06-30", status="planning"
        )
    form = login(cast.admin).get(url(cast, "goals:goal_create")).context["form"]
    assert form["cycle"].value() == latest.pk != older.pk
    assert form["level"].value() == Level.ORGANISATION


def test_proposing_a_contributing_goal_prefills_parent_cycle_and_due_date(
    cast, cycle, objective, login
):
    response = login(cast.member).get(url(cast, "goals:goal_create") + f"?parent={objective.pk}")
    form = response.context["form"]
    assert (form["parent"].value(), form["cycle"].value(), form["due_date"].value()) == (
        objective.pk,
        cycle.pk,
        objective.due_date,
    )
    assert "This goal will contribute to" in response.content.decode()


def test_a_manager_can_open_the_form_for_a_unit_goal(cast, cycle, login):
    form = login(cast.manager).get(url(cast, "goals:goal_create") + "?level=unit").context["form"]
    assert (form["level"].value(), form["unit"].value()) == (Level.UNIT, cast.engineering.pk)
    member_form = (
        login(cast.member).get(url(cast, "goals:goal_create") + "?level=org").context["form"]
    )
    assert member_form["level"].value() == Level.INDIVIDUAL


def test_proposing_under_an_invisible_goal_is_not_found(cast, cycle, login):
    private = new_goal(cast, cast.member2, cycle, visibility="private")
    response = login(cast.member).get(url(cast, "goals:goal_create") + f"?parent={private.pk}")
    assert response.status_code == 404


def test_without_an_open_cycle_the_page_says_who_creates_one(cast, login):
    response = login(cast.member).get(url(cast, "goals:goal_create"))
    assert response.status_code == 200
    assert "has no open cycle yet" in response.content.decode()
    assert url(cast, "goals:cycles") in response.content.decode()


@pytest.fixture
def other_cycle_goal(cast, cycle):
    with tenant_context(cast.org.pk):
        later = Cycle.objects.create(
            org=cast.org,
            name="Next quarter",
            start=cycle.end + timedelta(days=1),
            end=cycle.end + timedelta(days=90),
        )
    return new_goal(cast, cast.admin, later, level=Level.ORGANISATION, title="Enter Japan")


@pytest.fixture
def other_org_goal(cast, cycle):
    with tenant_context(cast.other_org.pk):
        theirs = Cycle.objects.create(
            org=cast.other_org, name="Q", start=cycle.start, end=cycle.end, status="active"
        )
        return services.goal_create(
            actor=Actor(cast.other_admin), cycle=theirs, level=Level.ORGANISATION, title="Secret"
        )


@pytest.fixture
def early_parent(cast, cycle):
    return new_goal(
        cast, cast.admin, cycle, level=Level.ORGANISATION, due_date=cycle.start + timedelta(days=10)
    )


# (case, form fields to post, the form that shows the error, field, message)
BAD_INPUT = [
    ("no title", {"title": "  "}, "form", "title", lambda c: services.TITLE_REQUIRED),
    ("weight not a number", {"weight": "lots"}, "form", "weight", lambda c: NOT_A_NUMBER),
    ("weight zero", {"weight": "0"}, "form", "weight", lambda c: services.WEIGHT_POSITIVE),
    ("weight negative", {"weight": "-2"}, "form", "weight", lambda c: services.WEIGHT_POSITIVE),
    ("due after the cycle", {"due_date": lambda c: c["cycle"].end + timedelta(days=1)}, "form",
     "due_date",
     lambda c: services.DUE_OUTSIDE_CYCLE.format(
         start=date_format(c["cycle"].start), end=date_format(c["cycle"].end))),
    ("due before the cycle", {"due_date": lambda c: c["cycle"].start - timedelta(days=1)}, "form",
     "due_date",
     lambda c: services.DUE_OUTSIDE_CYCLE.format(
         start=date_format(c["cycle"].start), end=date_format(c["cycle"].end))),
    ("due after the parent",
     {"parent": lambda c: c["early_parent"].pk,
      "due_date": lambda c: c["early_parent"].due_date + timedelta(days=1)},
     "form", "due_date",
     lambda c: services.DUE_AFTER_PARENT.format(due=date_format(c["early_parent"].due_date))),
    ("cycle of another organisation", {"cycle": lambda c: c["other_org_goal"].cycle_id}, "form",
     "cycle", lambda c: CYCLE_NOT_OPEN),
    ("parent in another cycle", {"parent": lambda c: c["other_cycle_goal"].pk}, "form", "parent",
     lambda c: services.PARENT_OTHER_CYCLE),
    ("parent in another organisation", {"parent": lambda c: c["other_org_goal"].pk}, "form",
     "parent", lambda c: services.PARENT_NOT_FOUND),
    ("parent that is private", {"parent": lambda c: c["private"].pk}, "form", "parent",
     lambda c: services.PARENT_NOT_FOUND),
    ("parent that is not a number", {"parent": "first"}, "form", "parent",
     lambda c: services.PARENT_NOT_FOUND),
    ("key result target equals start",
     {"kr0-title": "Replies", "kr0-start_value": "5", "kr0-target_value": "5"}, "kr0",
     "target_value", lambda c: services.TARGET_EQUALS_START),
    ("key result target not a number",
     {"kr0-title": "Replies", "kr0-start_value": "5", "kr0-target_value": "ten"}, "kr0",
     "target_value", lambda c: NOT_A_NUMBER),
    ("key result start not a number",
     {"kr1-title": "Replies", "kr1-start_value": "a few", "kr1-target_value": "10"}, "kr1",
     "start_value", lambda c: NOT_A_NUMBER),
    ("key result weight zero",
     {"kr0-title": "Replies", "kr0-target_value": "10", "kr0-weight": "0"}, "kr0", "weight",
     lambda c: services.WEIGHT_POSITIVE),
    ("key result without a title", {"kr2-target_value": "10"}, "kr2", "title",
     lambda c: KR_TITLE_REQUIRED),
    ("milestones without any", {"kr0-title": "Steps", "kr0-kind": "milestones"}, "kr0",
     "milestones", lambda c: MILESTONES_REQUIRED),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "where", "field", "message"),
    [case[1:] for case in BAD_INPUT],
    ids=[case[0] for case in BAD_INPUT],
)
def test_bad_input_re_renders_the_form_with_the_message_by_the_field_and_saves_nothing(
    cast, cycle, objective, other_cycle_goal, other_org_goal, early_parent, login,
    data, where, field, message,
):  # fmt: skip
    objects = {
        "cycle": cycle,
        "other_cycle_goal": other_cycle_goal,
        "other_org_goal": other_org_goal,
        "early_parent": early_parent,
        "private": new_goal(cast, cast.member2, cycle, visibility="private"),
    }
    before = (goal_count(cast), kr_count(cast))
    posted = goal_form(cycle, parent=objective.pk)
    posted.update({k: v(objects) if callable(v) else v for k, v in data.items()})
    response = login(cast.member).post(url(cast, "goals:goal_create"), posted)
    assert response.status_code == 400
    form = (
        response.context["form"]
        if where == "form"
        else response.context["kr_forms"][int(where[2:])]
    )
    expected = message(objects)
    assert form.errors[field] == [expected]
    error_id = f"id_{field}_error" if where == "form" else f"id_{where}-{field}_error"
    page = response.content.decode()
    shown_by_the_field = page.split(f'id="{error_id}"', 1)[1].split("</div>", 1)[0]
    assert escape(expected) in shown_by_the_field
    assert (goal_count(cast), kr_count(cast)) == before


def test_a_form_with_several_mistakes_shows_them_all(cast, cycle, login):
    data = goal_form(cycle, weight="0", title="", due_date="soon")
    data |= {"kr0-title": "Replies", "kr0-start_value": "1", "kr0-target_value": "1"}
    response = login(cast.member).post(url(cast, "goals:goal_create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "title": [services.TITLE_REQUIRED],
        "weight": [services.WEIGHT_POSITIVE],
        "due_date": [NOT_A_DATE],
    }
    assert response.context["kr_forms"][0].errors["target_value"] == [services.TARGET_EQUALS_START]
    assert goal_count(cast) == 0


# --- The SMART check -------------------------------------------------------------------


def test_the_form_checks_smart_as_it_is_written(cast, cycle, objective, login):
    page = login(cast.member).get(url(cast, "goals:goal_create")).content.decode()
    assert f'hx-post="{url(cast, "goals:smart_check")}"' in page
    assert 'hx-trigger="input changed delay:400ms"' in page
    assert "SMART check" in page


def smart_items(page: str) -> dict[str, tuple[bool, str]]:
    """{check name: (ok, reason)} from the rendered SMART list."""
    items = {}
    for chunk in page.split('<li class="smart-item ')[1:]:
        name = chunk.split("<strong>", 1)[1].split("</strong>", 1)[0]
        reason = chunk.split('<span class="smart-reason">', 1)[1].split("</span>", 1)[0]
        items[name] = (chunk.startswith("smart-ok"), reason)
    return items


def test_the_smart_check_endpoint_returns_the_advice_for_what_was_typed(
    cast, cycle, objective, login
):
    client = login(cast.member)
    vague = client.post(
        url(cast, "goals:smart_check"), {"title": "Improve things", "cycle": cycle.pk}
    )
    assert vague.status_code == 200
    assert "<html" not in vague.content.decode()
    checks = smart_items(vague.content.decode())
    assert checks["Specific"] == (False, escape(smart.SPECIFIC_SHORT))
    assert checks["Measurable"] == (False, escape(smart.MEASURABLE_MISSING))
    assert checks["Achievable"] == (False, escape(smart.ACHIEVABLE_NEW))
    assert checks["Relevant"] == (False, escape(smart.RELEVANT_MISSING))
    assert checks["Time-bound"][0] is True  # left empty: the cycle's end
    good = client.post(
        url(cast, "goals:smart_check"),
        {
            "title": "Cut first-reply time to 4 hours",
            "cycle": cycle.pk,
            "level": "individual",
            "parent": objective.pk,
            "kr1-title": "Median reply time",
            "due_date": str(cycle.end + timedelta(days=3)),
        },
    )
    checks = smart_items(good.content.decode())
    assert [checks[n][0] for n in ("Specific", "Measurable", "Relevant", "Time-bound")] == [
        True,
        True,
        True,
        False,
    ]
    assert checks["Relevant"][1] == escape("Contributes to “Double weekly active teams”.")
    assert checks["Measurable"][1] == "1 key result with a target."


def test_the_smart_check_of_an_existing_goal_counts_its_key_results(cast, cycle, objective, login):
    client = login(cast.admin)
    response = client.post(url(cast, "goals:smart_check"), {"goal": objective.pk, "title": "Grow"})
    checks = smart_items(response.content.decode())
    assert checks["Measurable"] == (True, "1 key result with a target.")
    assert checks["Relevant"] == (True, escape(smart.RELEVANT_TOP))
    assert checks["Specific"][0] is False


def test_the_smart_check_does_not_open_goals_you_cannot_see(cast, cycle, login):
    private = new_goal(cast, cast.member2, cycle, visibility="private")
    response = login(cast.member).post(url(cast, "goals:smart_check"), {"goal": private.pk})
    assert response.status_code == 404


# --- Editing -------------------------------------------------------------------------


def edit_form(goal: Goal, **overrides) -> dict:
    return {
        "title": goal.title,
        "description": goal.description,
        "parent": goal.parent_id or "",
        "weight": str(goal.weight),
        "visibility": goal.visibility,
        "due_date": str(goal.due_date),
        "manual_progress": "" if goal.manual_progress is None else str(goal.manual_progress),
    } | overrides


def test_an_owner_edits_their_draft(cast, cycle, objective, login):
    goal = new_goal(cast, cast.member, cycle, parent=objective)
    new_due = cycle.end - timedelta(days=7)
    response = login(cast.member).post(
        url(cast, "goals:goal_edit", goal.pk),
        edit_form(goal, title="Ship the setup wizard to every new team", due_date=str(new_due)),
    )
    assert response.status_code == 302
    goal = reload(cast, goal)
    assert (goal.title, goal.due_date, goal.needs_reapproval) == (
        "Ship the setup wizard to every new team",
        new_due,
        False,
    )
    with tenant_context(cast.org.pk):
        event = GoalEvent.objects.filter(goal=goal).first()
    assert (event.kind, event.before["title"], event.after["title"]) == (
        "edited",
        "Ship the guided setup wizard",
        "Ship the setup wizard to every new team",
    )


def test_editing_an_approved_goals_weight_sends_it_back_for_re_approval(
    cast, cycle, objective, login
):
    goal = new_goal(cast, cast.member, cycle, parent=objective)
    act(cast, services.goal_approve, cast.manager, goal=goal)
    client = login(cast.member)
    form_page = client.get(url(cast, "goals:goal_edit", goal.pk)).content.decode()
    assert "sends it back to the approver for re-approval" in form_page
    response = client.post(
        url(cast, "goals:goal_edit", goal.pk), edit_form(goal, weight="3"), follow=True
    )
    assert reload(cast, goal).needs_reapproval is True
    page = response.content.decode()
    assert BACK_FOR_REAPPROVAL in page
    assert "Needs re-approval" in page


def test_editing_only_the_title_of_an_approved_goal_keeps_it_approved(
    cast, cycle, objective, login
):
    goal = new_goal(cast, cast.member, cycle, parent=objective)
    act(cast, services.goal_approve, cast.manager, goal=goal)
    response = login(cast.member).post(
        url(cast, "goals:goal_edit", goal.pk), edit_form(goal, title="Ship the wizard to all teams")
    )
    assert response.status_code == 302
    goal = reload(cast, goal)
    assert (goal.title, goal.status, goal.needs_reapproval) == (
        "Ship the wizard to all teams",
        GoalStatus.APPROVED,
        False,
    )


def test_editing_with_a_due_date_outside_the_cycle_changes_nothing(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    late = cycle.end + timedelta(days=1)
    response = login(cast.member).post(
        url(cast, "goals:goal_edit", goal.pk),
        edit_form(goal, title="A new title", due_date=str(late)),
    )
    assert response.status_code == 400
    message = services.DUE_OUTSIDE_CYCLE.format(
        start=date_format(cycle.start), end=date_format(cycle.end)
    )
    assert response.context["form"].errors["due_date"] == [message]
    assert "Edit “Ship the guided setup wizard”" in response.content.decode()
    assert reload(cast, goal).title == "Ship the guided setup wizard"


def test_a_goal_cannot_contribute_to_its_own_sub_goal(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    child = new_goal(cast, cast.member, cycle, parent=goal, title="Write the wizard copy")
    client = login(cast.member)
    offered = client.get(url(cast, "goals:goal_edit", goal.pk)).context["form"].fields["parent"]
    assert child.pk not in [value for value, _ in offered.choices]
    response = client.post(url(cast, "goals:goal_edit", goal.pk), edit_form(goal, parent=child.pk))
    assert response.status_code == 400
    assert response.context["form"].errors["parent"] == [services.PARENT_LOOP]
    assert reload(cast, goal).parent_id is None


def test_only_people_who_may_edit_see_the_edit_form(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    assert login(cast.member2).get(url(cast, "goals:goal_edit", goal.pk)).status_code == 403
    assert login(cast.manager).get(url(cast, "goals:goal_edit", goal.pk)).status_code == 200
    act(cast, services.goal_submit, cast.member, goal=reload(cast, goal))
    # Submitted: the owner waits for the approver.
    assert login(cast.member).get(url(cast, "goals:goal_edit", goal.pk)).status_code == 403
    assert login(cast.other_admin).get(url(cast, "goals:goal_edit", goal.pk)).status_code == 404


# --- Status actions --------------------------------------------------------------------


def test_an_owner_submits_their_draft(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    client = login(cast.member)
    response = client.post(
        url(cast, "goals:goal_transition", goal.pk), {"action": "submit"}, follow=True
    )
    assert reload(cast, goal).status == GoalStatus.SUBMITTED
    assert "Submitted for approval." in response.content.decode()


def test_an_owner_completes_and_a_manager_cancels(cast, cycle, login):
    done = new_goal(cast, cast.member, cycle, title="Finish the wizard design")
    act(cast, services.goal_approve, cast.manager, goal=done)
    login(cast.member).post(url(cast, "goals:goal_transition", done.pk), {"action": "complete"})
    assert reload(cast, done).status == GoalStatus.COMPLETED
    dropped = new_goal(cast, cast.member, cycle, title="Translate the wizard to Klingon")
    response = login(cast.manager).post(
        url(cast, "goals:goal_transition", dropped.pk),
        {"action": "cancel", "comment": "Out of scope"},
    )
    assert response.status_code == 302
    assert reload(cast, dropped).status == GoalStatus.CANCELLED
    with tenant_context(cast.org.pk):
        assert GoalEvent.objects.filter(goal=dropped).first().comment == "Out of scope"


def test_a_transition_that_does_not_apply_says_why_and_changes_nothing(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    act(cast, services.goal_approve, cast.manager, goal=goal)
    response = login(cast.member).post(
        url(cast, "goals:goal_transition", goal.pk), {"action": "submit"}, follow=True
    )
    assert reload(cast, goal).status == GoalStatus.APPROVED
    message = services.BAD_TRANSITION.format(status="active", action="submitted")
    assert message in response.content.decode()


def test_people_who_may_not_edit_cannot_change_the_status(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    act(cast, services.goal_approve, cast.manager, goal=goal)
    client = login(cast.member2)
    assert (
        client.post(url(cast, "goals:goal_transition", goal.pk), {"action": "complete"}).status_code
        == 403
    )
    assert reload(cast, goal).status == GoalStatus.APPROVED


def test_unknown_actions_and_gets_are_refused(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    client = login(cast.member)
    assert (
        client.post(url(cast, "goals:goal_transition", goal.pk), {"action": "approve"}).status_code
        == 400
    )
    assert client.get(url(cast, "goals:goal_transition", goal.pk)).status_code == 405
    assert reload(cast, goal).status == GoalStatus.DRAFT


def buttons(page: str) -> set[str]:
    found = {
        "submit": 'value="submit"',
        "complete": 'value="complete"',
        "cancel": 'value="cancel"',
        "edit": ">Edit</a>",
        "add key result": ">Add key result</a>",
        "check in": ">Check in</a>",
        "cascade": ">Cascade</a>",
        "propose": "Propose a goal that contributes",
        "review": "Review for approval",
    }
    return {name for name, marker in found.items() if marker in page}


def test_the_goal_page_shows_only_the_actions_the_person_may_take(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    detail = url(cast, "goals:goal_detail", goal.pk)
    assert buttons(login(cast.member).get(detail).content.decode()) == {
        "submit", "edit", "cancel", "add key result", "propose",
    }  # fmt: skip
    assert buttons(login(cast.member2).get(detail).content.decode()) == {"propose"}
    act(cast, services.goal_submit, cast.member, goal=goal)
    assert buttons(login(cast.member).get(detail).content.decode()) == {"propose"}
    # A submitted goal is not cascaded yet (issue 6): only once it is active.
    assert buttons(login(cast.manager).get(detail).content.decode()) == {
        "edit", "cancel", "add key result", "propose", "review",
    }  # fmt: skip
    act(cast, services.goal_approve, cast.manager, goal=reload(cast, goal))
    assert buttons(login(cast.member).get(detail).content.decode()) == {
        "complete", "edit", "cancel", "add key result", "propose", "check in",
    }  # fmt: skip
    assert "cascade" in buttons(login(cast.manager).get(detail).content.decode())


# --- Key results ---------------------------------------------------------------------


def test_an_owner_adds_a_key_result(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    response = login(cast.member).post(
        url(cast, "goals:kr_create", goal.pk),
        {
            "title": "Teams finishing setup",
            "kind": "percent",
            "direction": "increase",
            "start_value": "20",
            "target_value": "80",
            "weight": "1",
        },
    )
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)
    assert (kr.title, kr.start_value, kr.target_value, kr.unit_label) == (
        "Teams finishing setup",
        20,
        80,
        "%",
    )


def test_a_milestone_key_result_takes_one_milestone_per_line(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    login(cast.member).post(
        url(cast, "goals:kr_create", goal.pk),
        {
            "title": "Wizard steps",
            "kind": "milestones",
            "direction": "increase",
            "weight": "1",
            "milestones": "Design\r\nBuild\r\n  \r\nLaunch",
        },
    )
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=goal)
        titles = [m.title for m in kr.milestones.all()]
    assert titles == ["Design", "Build", "Launch"]


def test_a_key_result_whose_target_equals_its_start_is_refused(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    response = login(cast.member).post(
        url(cast, "goals:kr_create", goal.pk),
        {"title": "Replies", "kind": "number", "direction": "increase", "start_value": "3",
         "target_value": "3", "weight": "1"},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.context["form"].errors["target_value"] == [services.TARGET_EQUALS_START]
    assert kr_count(cast) == 0


def test_changing_a_target_of_an_approved_goal_needs_re_approval(cast, cycle, objective, login):
    with tenant_context(cast.org.pk):
        kr = objective.key_results.get()
    client = login(cast.admin)
    form = client.get(url(cast, "goals:kr_edit", kr.pk)).context["form"]
    assert form["target_value"].value() == 200
    response = client.post(
        url(cast, "goals:kr_edit", kr.pk),
        {"title": kr.title, "kind": "number", "direction": "increase", "start_value": "100",
         "target_value": "250", "unit_label": "", "weight": "1"},
    )  # fmt: skip
    assert response.status_code == 302
    objective = reload(cast, objective)
    assert objective.needs_reapproval is True
    with tenant_context(cast.org.pk):
        event = GoalEvent.objects.filter(goal=objective).first()
    assert (event.kind, event.before["target_value"], event.after["target_value"]) == (
        "key_result_edited",
        "200",
        "250",
    )


def test_a_milestone_list_keeps_its_kind_when_edited(cast, cycle, login):
    goal = new_goal(
        cast, cast.member, cycle,
        key_results=[{"title": "Steps", "kind": "milestones", "milestones": ["One", "Two"]}],
    )  # fmt: skip
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
    form = login(cast.member).get(url(cast, "goals:kr_edit", kr.pk)).context["form"]
    assert set(form.fields) == {"title", "unit_label", "weight"}


def test_key_results_are_edited_only_by_people_who_may_edit_the_goal(cast, cycle, login):
    goal = new_goal(
        cast, cast.member, cycle,
        key_results=[{"title": "Replies", "target_value": Decimal(10)}],
    )  # fmt: skip
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
    assert login(cast.member2).get(url(cast, "goals:kr_edit", kr.pk)).status_code == 403
    assert login(cast.member2).get(url(cast, "goals:kr_create", goal.pk)).status_code == 403
    assert login(cast.other_admin).get(url(cast, "goals:kr_edit", kr.pk)).status_code == 404


# --- The goal page -------------------------------------------------------------------


@pytest.fixture
def twenty_percent(cast, cycle, objective):
    """An approved unit goal with a key result at 50% (weight 1) and a contributing goal
    at 10% (weight 3): (1×50% + 3×10%) ÷ 4 = 20%."""
    goal = new_goal(
        cast, cast.manager, cycle,
        level=Level.UNIT, unit=cast.engineering, parent=objective,
        title="Make onboarding take one afternoon",
        key_results=[{"title": "Guides written", "start_value": Decimal(0),
                      "target_value": Decimal(10)}],
    )  # fmt: skip
    act(cast, services.goal_approve, cast.admin, goal=goal)
    child = new_goal(
        cast, cast.member, cycle, parent=goal, weight=Decimal(3),
        title="Ship the guided setup wizard",
        key_results=[{"title": "Steps shipped", "start_value": Decimal(0),
                      "target_value": Decimal(10)}],
    )  # fmt: skip
    act(cast, services.goal_approve, cast.manager, goal=child)
    with tenant_context(cast.org.pk):
        services.checkin_create(
            actor=Actor(cast.manager), key_result=goal.key_results.get(), value=Decimal(5)
        )
        services.checkin_create(
            actor=Actor(cast.member),
            key_result=child.key_results.get(),
            value=Decimal(1),
            confidence="high",
            note="First step is live.",
        )
    return reload(cast, goal), reload(cast, child)


def test_the_goal_page_explains_its_number(cast, twenty_percent, login):
    goal, child = twenty_percent
    response = login(cast.member).get(url(cast, "goals:goal_detail", goal.pk))
    page = response.content.decode()
    assert goal.percent == 20
    assert "Why 20%" in page
    rows = [
        (r.kind, r.title, r.weight_text, r.progress_text, r.share_text)
        for r in response.context["why"].rows
    ]
    assert rows == [
        ("Key result", "Guides written", "1", "50%", "12.5%"),
        ("Goal", "Ship the guided setup wizard", "3", "10%", "7.5%"),
    ]
    assert "(1×50% + 3×10%) ÷ 4 = 20%" in page
    assert f'href="{url(cast, "goals:goal_detail", child.pk)}"' in page


def test_a_goal_with_nothing_to_combine_explains_its_manual_progress(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle, manual_progress=Decimal(40))
    act(cast, services.goal_approve, cast.manager, goal=goal)
    page = login(cast.member).get(url(cast, "goals:goal_detail", goal.pk)).content.decode()
    assert "Why 40%" in page
    assert "Manual progress: 40%, as set by the owner" in page


def test_drafts_are_listed_but_not_counted(cast, cycle, twenty_percent, login):
    goal, _ = twenty_percent
    new_goal(cast, cast.member2, cycle, parent=goal, title="Record onboarding videos")
    response = login(cast.member).get(url(cast, "goals:goal_detail", goal.pk))
    assert [c.title for c in response.context["children"]] == [
        "Record onboarding videos",
        "Ship the guided setup wizard",
    ]
    assert len(response.context["why"].rows) == 2
    assert "1 contributing goal not counted yet" in response.content.decode()


def test_private_contributing_goals_stay_private(cast, cycle, twenty_percent, login):
    goal, _ = twenty_percent
    secret = new_goal(
        cast, cast.member2, cycle, parent=goal, visibility="private", title="Secret plan"
    )
    act(cast, services.goal_approve, cast.manager, goal=secret)
    response = login(cast.member).get(url(cast, "goals:goal_detail", goal.pk))
    assert "Secret plan" not in response.content.decode()
    assert [r.title for r in response.context["why"].rows if r.kind == "Goal"] == [
        "A private goal",
        "Ship the guided setup wizard",
    ]
    manager_page = login(cast.manager).get(url(cast, "goals:goal_detail", goal.pk))
    assert "Secret plan" in manager_page.content.decode()


def test_the_key_results_show_current_and_target_values(cast, twenty_percent, login):
    goal, _ = twenty_percent
    page = login(cast.member).get(url(cast, "goals:goal_detail", goal.pk)).content.decode()
    assert '<td data-label="Now">5</td>' in page
    assert "increase to 10 (from 0)" in page


def test_the_timeline_shows_who_did_what_newest_first(cast, twenty_percent, login):
    _, child = twenty_percent
    act(cast, services.goal_update, cast.member, goal=child, title="Ship the setup wizard")
    response = login(cast.member).get(url(cast, "goals:goal_detail", child.pk))
    summaries = [(e.who, e.summary) for e in response.context["timeline"]]
    assert summaries == [
        ("Bob Member (Acme)", "edited the goal"),
        ("Bob Member (Acme)", "checked in on “Steps shipped”"),
        ("Mallory Manager (Acme)", "approved it"),
        ("Bob Member (Acme)", "created this goal"),
    ]
    edited, checked_in = response.context["timeline"][:2]
    assert edited.changes == [("Title", "Ship the guided setup wizard", "Ship the setup wizard")]
    assert checked_in.changes == [
        ("Value", "0", "1"),
        ("Progress", "0%", "10%"),
        ("Confidence", "—", "High"),
    ]
    assert checked_in.comment == "First step is live."
    page = response.content.decode()
    assert page.index("edited the goal") < page.index("checked in on") < page.index("created this")
    assert "First step is live." in page


def test_the_timeline_shows_a_request_for_changes_with_its_comment(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    act(cast, services.goal_submit, cast.member, goal=goal)
    act(cast, services.goal_request_changes, cast.manager, goal=goal, comment="Add a target.")
    entry = login(cast.member).get(url(cast, "goals:goal_detail", goal.pk)).context["timeline"][0]
    assert (entry.who, entry.summary, entry.comment) == (
        "Mallory Manager (Acme)",
        "asked for changes",
        "Add a target.",
    )


def test_the_alignment_path_runs_from_the_objective_down_to_the_goal(
    cast, objective, twenty_percent, login
):
    unit_goal, child = twenty_percent
    response = login(cast.member).get(url(cast, "goals:goal_detail", child.pk))
    assert [g.title for g, _ in response.context["path"]] == [
        "Double weekly active teams",
        "Make onboarding take one afternoon",
        "Ship the guided setup wizard",
    ]
    assert response.context["aligned"] is True
    page = response.content.decode()
    path = page[page.index('class="alignment-path"') :]
    assert path.index("Double weekly active teams") < path.index("Make onboarding take one")
    assert f'href="{url(cast, "goals:goal_detail", objective.pk)}"' in path


def test_a_goal_that_contributes_to_nothing_says_so(cast, cycle, login):
    goal = new_goal(cast, cast.member, cycle)
    response = login(cast.member).get(url(cast, "goals:goal_detail", goal.pk))
    assert response.context["aligned"] is False
    assert "This goal contributes to nothing yet." in response.content.decode()


def test_the_goal_page_shows_the_smart_check(cast, cycle, objective, login):
    response = login(cast.admin).get(url(cast, "goals:goal_detail", objective.pk))
    checks = {c.name: c for c in response.context["smart"]}
    assert checks["Measurable"].reason == "1 key result with a target."
    assert checks["Achievable"].reason == smart.ACHIEVABLE_MISSING
    assert smart.RELEVANT_TOP in response.content.decode()


def test_the_goal_page_shows_status_and_expected_progress(cast, twenty_percent, login):
    goal, _ = twenty_percent
    response = login(cast.member).get(url(cast, "goals:goal_detail", goal.pk))
    page = response.content.decode()
    health = response.context["h"]
    assert health.expected_percent == 50  # the cycle fixture puts today in the middle
    assert "Expected by now: 50%" in page
    assert f'<span class="status status-{health.code}">{health.label}</span>' in page


def test_a_private_goal_is_seen_by_its_owner_their_managers_and_admins_only(cast, cycle, login):
    goal = new_goal(cast, cast.member2, cycle, visibility="private")
    detail = url(cast, "goals:goal_detail", goal.pk)
    assert login(cast.member).get(detail).status_code == 404
    assert login(cast.other_admin).get(detail).status_code == 404
    for who in (cast.member2, cast.manager, cast.admin):
        assert login(who).get(detail).status_code == 200


def test_a_missing_goal_is_not_found(cast, login):
    assert login(cast.member).get(url(cast, "goals:goal_detail", 999999)).status_code == 404


# --- Query count ---------------------------------------------------------------------

# Every org page: savepoint, organisation, session, user, membership, release; on
# PostgreSQL also the two set_config calls scoping the transaction for row-level security.
REQUEST = 6


@pytest.mark.parametrize("size", [3, 30])
def test_the_goal_page_runs_the_same_queries_whatever_its_size(
    cast, cycle, objective, login, django_assert_num_queries, size
):
    goal = new_goal(
        cast, cast.manager, cycle, parent=objective, title="Make onboarding take one afternoon",
        key_results=[
            {"title": "Guides", "target_value": Decimal(10)},
            {"title": "Steps", "kind": "milestones", "milestones": ["One", "Two", "Three"]},
        ],
    )  # fmt: skip
    act(cast, services.goal_approve, cast.admin, goal=goal)
    with tenant_context(cast.org.pk):
        for i in range(size):
            owner = cast.member if i % 2 else cast.member2
            child = services.goal_create(
                actor=Actor(cast.manager), cycle=cycle, owner=owner, parent=goal,
                title=f"Contribution {i}", visibility="private" if i % 3 == 0 else "public",
            )  # fmt: skip
            if i % 2:
                services.goal_approve(actor=Actor(cast.manager), goal=child)
            goal = services.goal_update(
                actor=Actor(cast.manager), goal=goal, description=f"Version {i}"
            )
        # The latest page of activity names a goal, whatever the size.
        other = services.goal_create(
            actor=Actor(cast.admin), cycle=cycle, level=Level.ORGANISATION,
            title="Win three enterprise customers", status=GoalStatus.APPROVED,
        )  # fmt: skip
        goal = services.goal_update(actor=Actor(cast.manager), goal=goal, parent=other)
    client = login(cast.member)
    # get_goal; key results; their milestones; the member's reports (visible goals);
    # visible child goals; explain: key results, counted children; the alignment path:
    # the goals above it (one walk up the parents); events; titles of goals the events
    # name; units the member leads (may they edit?); the KPIs informing the goal;
    # the organisation switcher; the key results' recent check-ins (forecasts); the
    # goal's progress snapshots (its chart); its conversation (feedback.threads): the
    # comments and the approval comments (and the comments' mentions, when there are any);
    # the feedback about the goal the member may read.
    page_queries = 18
    rls = 2 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(REQUEST + rls + page_queries):
        response = client.get(url(cast, "goals:goal_detail", goal.pk))
    assert response.status_code == 200
    assert len(response.context["timeline"]) == min(size + 3, ACTIVITY_PAGE)
    # Private goals of someone else (member2's, every sixth) stay out of the member's view.
    assert len(response.context["children"]) == size - len(range(0, size, 6))


def test_an_organisation_objective_has_nothing_to_contribute_to(cast, cycle, objective, login):
    client = login(cast.admin)
    form = client.get(url(cast, "goals:goal_edit", objective.pk)).context["form"]
    assert "parent" not in form.fields
    data = edit_form(objective, title="Triple weekly active teams")
    del data["parent"]
    assert client.post(url(cast, "goals:goal_edit", objective.pk), data).status_code == 302
    objective = reload(cast, objective)
    assert (objective.title, objective.parent_id) == ("Triple weekly active teams", None)

"""Goal event kinds are one enum (EventKind): every kind a service writes is a member,
an unknown kind is refused, and the code names kinds through the enum, never by string."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import EventKind, GoalEvent, GoalStatus, KeyResult, Level, Milestone
from orgs import services as org_services
from orgs.models import Unit
from tests.factories import GoalFactory

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def test_every_kind_the_services_write_is_a_member_and_every_member_is_written(cast):
    admin, manager, bob = Actor(cast.admin), Actor(cast.manager), Actor(cast.member)
    objective = GoalFactory(owner=cast.admin, level=Level.ORGANISATION, status="active")
    goal = GoalFactory(owner=cast.member, parent=objective, key_results=1)
    with tenant_context(cast.org.pk):
        services.goal_update(actor=bob, goal=goal, title="Document every endpoint")
        steps = services.kr_add(
            actor=bob, goal=goal, title="Steps", kind=KeyResult.Kind.MILESTONES, milestones=["A"]
        )
        extra = services.kr_add(actor=bob, goal=goal, title="Extra", target_value=Decimal(5))
        services.kr_update(actor=bob, key_result=extra, title="Extra, renamed")
        services.kr_delete(actor=bob, key_result=extra)
        services.goal_submit(actor=bob, goal=goal)
        services.goal_request_changes(actor=manager, goal=goal, comment="Say by when.")
        services.goal_submit(actor=bob, goal=goal)
        goal = services.goal_approve(actor=manager, goal=goal)
        number = KeyResult.objects.filter(goal=goal).exclude(pk=steps.pk).get()
        services.checkin_create(actor=bob, key_result=number, value=Decimal(30))
        milestone = Milestone.objects.get(key_result=steps)
        services.milestone_set_done(actor=bob, milestone=milestone, done=True)
        services.milestone_set_done(actor=bob, milestone=milestone, done=False)
        services.goal_cascade(actor=admin, source=objective, people=[cast.member2], title="Help")
        services.goal_complete(actor=bob, goal=goal)
        services.goal_cancel(
            actor=bob, goal=services.goal_create(actor=bob, cycle=goal.cycle, title="x")
        )
        unit = Unit.objects.create(org=cast.org, name="Docs", parent=cast.platform)
        services.goal_create(
            actor=admin,
            cycle=goal.cycle,
            title="Docs",
            owner=cast.manager,
            level=Level.UNIT,
            unit=unit,
        )
        org_services.unit_delete(unit=unit, actor=cast.admin)
        written = list(GoalEvent.objects.filter(org=cast.org).values_list("kind", flat=True))

    assert set(written) <= set(EventKind.values)
    assert set(written) == set(EventKind.values), "a kind nobody writes: drop it from the enum"


def test_an_unknown_kind_cannot_be_saved(cast):
    goal = GoalFactory(owner=cast.member, key_results=0)
    event = GoalEvent(org=cast.org, goal=goal, actor=cast.member, kind="vibes_changed")
    with tenant_context(cast.org.pk), pytest.raises(ValidationError) as refused:
        event.full_clean()
    assert list(refused.value.message_dict) == ["kind"]
    with tenant_context(cast.org.pk):
        GoalEvent(org=cast.org, goal=goal, actor=cast.member, kind=EventKind.EDITED).full_clean()


def test_the_bulk_event_services_refuse_unknown_kinds_and_saved_events(cast):
    goal = GoalFactory(owner=cast.member, key_results=0, status=GoalStatus.SUBMITTED)
    with pytest.raises(ValueError):
        services.event_build(org_id=cast.org.pk, goal_id=goal.pk, actor_id=None, kind="vibes")
    with tenant_context(cast.org.pk):
        saved = GoalEvent.objects.filter(goal=goal).first()
        with pytest.raises(ValueError, match="immutable"):
            services.record_events_bulk([saved])
        built = services.event_build(
            org_id=cast.org.pk, goal_id=goal.pk, actor_id=cast.manager.pk, kind="edited"
        )
        [event] = services.record_events_bulk([built])
        assert GoalEvent.objects.get(pk=event.pk).kind == EventKind.EDITED


# --- No kind spelled as a string ----------------------------------------------------

# Where events are written and read (tests spell kinds as users see them, and may).
SOURCES = ["goals/*.py", "goals/*/*.py", "devtools/*.py", "orgs/*.py", "core/**/*.py"]
# Functions and methods taking a kind (the demo loader's ``self.event``).
KIND_CALLS = {"record", "_set_status", "event_build", "event"}


def literal_kinds(source: str) -> list[tuple[int, str]]:
    """(line, kind) of each event kind written as a string where a kind is expected:
    ``kind="…"``, ``….kind == "…"`` or ``in ("…", …)``, and ``record(…, "…", …)``."""
    kinds = set(EventKind.values)
    found = []

    def constants(node):
        items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
        for item in items:
            if isinstance(item, ast.Constant) and item.value in kinds:
                yield item

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg == "kind":
            found += [(c.lineno, c.value) for c in constants(node.value)]
        elif isinstance(node, ast.Compare) and (
            isinstance(node.left, ast.Attribute) and node.left.attr == "kind"
        ):
            for comparator in node.comparators:
                found += [(c.lineno, c.value) for c in constants(comparator)]
        elif isinstance(node, ast.Call) and (
            getattr(node.func, "id", getattr(node.func, "attr", None)) in KIND_CALLS
        ):
            for arg in node.args:
                found += [(c.lineno, c.value) for c in constants(arg)]
    return found


def test_the_check_finds_a_kind_spelled_as_a_string():
    source = (
        'record(goal, actor, "checked_in")\n'
        'self.event(goal, owner, "approved", when)\n'
        'GoalEvent(kind="edited")\n'
        'if event.kind in ("created", "cascaded"): pass\n'
        "record(goal, actor, EventKind.CREATED)\n"
    )
    assert sorted(literal_kinds(source)) == [
        (1, "checked_in"),
        (2, "approved"),
        (3, "edited"),
        (4, "cascaded"),
        (4, "created"),
    ]


def test_no_event_kind_is_spelled_as_a_string():
    paths = sorted({p for pattern in SOURCES for p in ROOT.glob(pattern)})
    paths = [p for p in paths if "tests" not in p.parts and "migrations" not in p.parts]
    assert any(p.name == "services.py" for p in paths)
    found = [
        f"{path.relative_to(ROOT)}:{line} {kind}"
        for path in paths
        for line, kind in literal_kinds(path.read_text(encoding="utf-8"))
    ]
    assert found == []

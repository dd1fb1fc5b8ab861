"""The goal state notification tests start from, in one call."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Cycle, Goal, GoalStatus, Level

OBJECTIVE = "Double weekly active teams"
TITLE = "Onboard ten teams"


def objective(cast) -> Goal:
    """An approved organisation objective in an active cycle."""
    today = timezone.localdate()
    with tenant_context(cast.org.pk):
        cycle = Cycle.objects.create(
            org=cast.org, name="This quarter", start=today - timedelta(days=45),
            end=today + timedelta(days=45), status=Cycle.Status.ACTIVE,
        )  # fmt: skip
        return services.goal_create(
            actor=Actor(cast.admin), cycle=cycle, level=Level.ORGANISATION, title=OBJECTIVE,
            status=GoalStatus.APPROVED,
        )  # fmt: skip


def submitted_goal(cast, parent: Goal) -> Goal:
    """Bob's goal under ``parent``, waiting for Mallory (his manager) to approve it."""
    with tenant_context(cast.org.pk):
        goal = services.goal_create(
            actor=Actor(cast.member), cycle=parent.cycle, title=TITLE, parent=parent,
            key_results=[
                {"title": "Teams", "start_value": Decimal(0), "target_value": Decimal(10)}
            ],
        )  # fmt: skip
        return services.goal_submit(actor=Actor(cast.member), goal=goal)

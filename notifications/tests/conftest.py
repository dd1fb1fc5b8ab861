from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from goals import services
from goals.access import Actor
from goals.models import Cycle, GoalStatus, Level
from orgs.tenancy import tenant_context


@pytest.fixture
def objective(cast):
    """An approved organisation objective in an active cycle."""
    today = timezone.localdate()
    with tenant_context(cast.org.pk):
        cycle = Cycle.objects.create(
            org=cast.org, name="This quarter", start=today - timedelta(days=45),
            end=today + timedelta(days=45), status=Cycle.Status.ACTIVE,
        )  # fmt: skip
        return services.goal_create(
            actor=Actor(cast.admin), cycle=cycle, level=Level.ORGANISATION,
            title="Double weekly active teams", status=GoalStatus.APPROVED,
        )  # fmt: skip


@pytest.fixture
def submitted_goal(cast, objective, django_capture_on_commit_callbacks):
    """Bob's goal, waiting for Mallory (his manager) to approve it."""
    with django_capture_on_commit_callbacks(execute=True), tenant_context(cast.org.pk):
        goal = services.goal_create(
            actor=Actor(cast.member), cycle=objective.cycle, title="Onboard ten teams",
            parent=objective,
            key_results=[
                {"title": "Teams", "start_value": Decimal(0), "target_value": Decimal(10)}
            ],
        )  # fmt: skip
        return services.goal_submit(actor=Actor(cast.member), goal=goal)

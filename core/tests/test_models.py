"""core.models.TenantModel (adopted by Goal) records when a row was created and last saved."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Cycle, Goal, GoalStatus, Level


def make_goal(cast) -> Goal:
    today = timezone.localdate()
    with tenant_context(cast.org.pk):
        cycle = Cycle.objects.create(
            org=cast.org, name="Q", start=today, end=today + timedelta(days=90)
        )
        return services.goal_create(
            actor=Actor(cast.admin),
            cycle=cycle,
            level=Level.ORGANISATION,
            title="Grow",
            status=GoalStatus.APPROVED,
        )


def test_a_tenant_model_keeps_its_creation_time_and_moves_its_update_time(cast):
    goal = make_goal(cast)
    with tenant_context(cast.org.pk):
        created, updated = goal.created_at, goal.updated_at
        goal.title = "Grow faster"
        goal.save()
        goal.refresh_from_db()
    assert goal.created_at == created
    assert goal.updated_at > updated

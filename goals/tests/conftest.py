from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import Cycle, GoalStatus, Level


@pytest.fixture
def in_org(cast):
    """Run a block with the cast's organisation set (row-level security)."""
    return lambda: tenant_context(cast.org.pk)


@pytest.fixture
def cycle(cast):
    today = timezone.localdate()
    with tenant_context(cast.org.pk):
        return Cycle.objects.create(
            org=cast.org,
            name="This quarter",
            start=today - timedelta(days=45),
            end=today + timedelta(days=45),
            status=Cycle.Status.ACTIVE,
        )


@pytest.fixture
def objective(cast, cycle):
    """An approved organisation objective owned by the admin, with one key result."""
    with tenant_context(cast.org.pk):
        return services.goal_create(
            actor=Actor(cast.admin),
            cycle=cycle,
            level=Level.ORGANISATION,
            title="Double weekly active teams",
            status=GoalStatus.APPROVED,
            key_results=[
                {
                    "title": "Weekly active teams",
                    "start_value": Decimal(100),
                    "target_value": Decimal(200),
                }
            ],
        )

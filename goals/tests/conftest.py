from __future__ import annotations

from decimal import Decimal as D

import pytest

from core.tenancy import tenant_context
from goals.models import GoalStatus, Level
from tests.factories import CycleFactory, GoalFactory


@pytest.fixture
def in_org(cast):
    """Run a block with the cast's organisation set (row-level security)."""
    return lambda: tenant_context(cast.org.pk)


@pytest.fixture
def cycle(cast):
    """Active, from 45 days ago to 45 days ahead."""
    return CycleFactory(org=cast.org, name="This quarter")


@pytest.fixture
def objective(cast, cycle):
    """An approved organisation objective owned by the admin, with one key result."""
    weekly = {"title": "Weekly active teams", "start_value": D(100), "target_value": D(200)}
    return GoalFactory(
        owner=cast.admin,
        cycle=cycle,
        level=Level.ORGANISATION,
        title="Double weekly active teams",
        status=GoalStatus.APPROVED,
        key_results=[weekly],
    )

from __future__ import annotations

from datetime import datetime
from decimal import Decimal as D

import pytest

from core.tenancy import tenant_context
from kpis.models import Kpi, Measurement


@pytest.fixture
def make_kpi(cast):
    """A KPI in the cast's organisation, owned by the admin."""

    def _make(name="Incidents", **fields):
        fields = {
            "target": D(10),
            "amber_threshold": D(8),
            "red_threshold": D(5),
            "cadence": "daily",
            "aggregation": "sum",
        } | fields
        with tenant_context(cast.org.pk):
            return Kpi.objects.create(org=cast.org, owner=cast.admin, name=name, **fields)

    return _make


@pytest.fixture
def measure(cast):
    """Record current measurements directly (values, times)."""

    def _measure(kpi, *points: tuple[datetime, str | int]):
        with tenant_context(cast.org.pk):
            return Measurement.objects.bulk_create(
                [
                    Measurement(org_id=kpi.org_id, kpi=kpi, value=D(str(v)), measured_at=at)
                    for at, v in points
                ]
            )

    return _measure

"""KPIs and measurements for the page tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from kpis.models import Kpi, Measurement, Source


def make_kpi(owner, **fields) -> Kpi:
    """A daily "higher is better" KPI owned by ``owner``."""
    values = {
        "name": "Uptime",
        "unit_label": "%",
        "target": Decimal("99.9"),
        "amber_threshold": Decimal("99.5"),
        "red_threshold": Decimal("99"),
        "cadence": "daily",
        **fields,
    }
    with tenant_context(owner.org_id):
        return Kpi.objects.create(org_id=owner.org_id, owner=owner, **values)


def add_values(kpi: Kpi, values, *, days_apart: int = 1, by=None, end=None) -> list[Measurement]:
    """Current values, the last one an hour ago (or at ``end``), ``days_apart`` days apart."""
    end = end or timezone.now() - timedelta(hours=1)
    count = len(values)
    with tenant_context(kpi.org_id):
        rows = Measurement.objects.bulk_create(
            Measurement(
                org_id=kpi.org_id,
                kpi=kpi,
                value=Decimal(str(v)),
                measured_at=end - timedelta(days=days_apart * (count - 1 - i)),
                source=Source.MANUAL,
                entered_by=by,
            )
            for i, v in enumerate(values)
        )
        latest = max(rows, key=lambda m: m.measured_at)
        Kpi.objects.filter(pk=kpi.pk).update(
            latest_value=latest.value, latest_at=latest.measured_at
        )
        kpi.refresh_from_db()
    return rows


def url(name: str, cast, *args) -> str:
    return reverse(f"kpis:{name}", args=[cast.org.slug, *args])


def count(kpi: Kpi, **filters) -> int:
    with tenant_context(kpi.org_id):
        return Measurement.objects.filter(kpi=kpi, **filters).count()

"""The KPI pages: list, a KPI's page, entry and corrections, create and edit, the goal page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from kpis.models import Kpi, KpiVisibility, Measurement, Source


def make_kpi(owner, **fields) -> Kpi:
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


def add_values(kpi: Kpi, values, *, days_apart: int = 1, by=None) -> list[Measurement]:
    """Current measurements, the last one an hour ago, ``days_apart`` days between them."""
    end = timezone.now() - timedelta(hours=1)
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
        Kpi.objects.filter(pk=kpi.pk).update(latest_value=latest.value, latest_at=latest.measured_at)
        kpi.refresh_from_db()
    return rows


def url(name, cast, *args):
    return reverse(f"kpis:{name}", args=[cast.org.slug, *args])


def test_smoke(cast, login):
    kpi = make_kpi(cast.member)
    add_values(kpi, [99.0, 99.5, 99.7, 99.8])
    client = login(cast.admin)
    r = client.get(url("kpi_list", cast))
    assert r.status_code == 200, r.content
    r = client.get(url("kpi_detail", cast, kpi.pk))
    assert r.status_code == 200, r.content
    print(r.content.decode()[-9000:])

"""What KPIs contribute to the daily review digests (notifications.reminders).

A KPI is due for a measurement when it is measured by hand (it has no child KPIs to
be computed from) and its latest value is older than its cadence (daily 1 day,
weekly 7, monthly 31), or it was never measured. Its owner sees it under
"Measurements due"; everyone above the owner in the reporting lines under "Overdue
KPIs in your team". One query for the KPIs, one for the reporting lines.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from kpis.models import Cadence, Kpi
from notifications.reminders import managers_above, register_section
from orgs.models import Organization

MEASUREMENTS_DUE = "Measurements due"
TEAM_OVERDUE = "Overdue KPIs in your team"
CADENCE_DAYS = {Cadence.DAILY: 1, Cadence.WEEKLY: 7, Cadence.MONTHLY: 31}


def kpi_path(org: Organization, pk: int) -> str:
    """The KPI's page (the KPI pages may not be wired yet: then the organisation's home)."""
    try:
        return reverse("kpis:kpi_detail", args=[org.slug, pk])
    except NoReverseMatch:
        return reverse("orgs:org_home", args=[org.slug])


def overdue_kpis(org: Organization) -> list[Kpi]:
    """KPIs measured by hand whose latest value is older than their cadence: one query."""
    now = timezone.now()
    late = Q(latest_at__isnull=True)
    for cadence, days in CADENCE_DAYS.items():
        late |= Q(cadence=cadence, latest_at__lt=now - timedelta(days=days))
    children = Kpi.objects.filter(org=org, parent=OuterRef("pk"))
    return list(
        Kpi.objects.filter(org=org, owner__is_active=True)
        .filter(~Exists(children))
        .filter(late)
        .select_related("owner__user")
        .order_by("latest_at", "name", "pk")
    )


def _item(org: Organization, kpi: Kpi, today: date, *, whose: bool) -> dict:
    if kpi.latest_at is None:
        when = "never measured"
    else:
        days = (today - timezone.localtime(kpi.latest_at).date()).days
        when = f"last measured {days} day{'s' if days != 1 else ''} ago"
    detail = f"{kpi.get_cadence_display()} · {when}"
    if whose:
        detail = f"{kpi.owner.display_name} · {detail}"
    return {"label": kpi.name, "detail": detail, "path": kpi_path(org, kpi.pk)}


def measurements_due(org: Organization, today: date) -> dict[int, list[dict]]:
    due: dict[int, list[dict]] = defaultdict(list)
    for kpi in overdue_kpis(org):
        due[kpi.owner_id].append(_item(org, kpi, today, whose=False))
    return due


def team_overdue(org: Organization, today: date) -> dict[int, list[dict]]:
    kpis = overdue_kpis(org)
    above = managers_above(org, {kpi.owner_id for kpi in kpis})
    found: dict[int, list[dict]] = defaultdict(list)
    for kpi in kpis:
        item = _item(org, kpi, today, whose=True)
        for manager in above.get(kpi.owner_id, []):
            found[manager].append(item)
    return found


def register() -> None:
    register_section(MEASUREMENTS_DUE, measurements_due)
    register_section(TEAM_OVERDUE, team_overdue, team=True)

"""Who may see and change KPIs. One place, used by pages and the API.

Seeing: as goals (public KPIs to everyone; private ones to their owner, the
owner's managers and admins). Creating: admins for anyone; anyone else for
KPIs they own. Editing: admins and the owner (and the owner's managers).
Recording measurements: the same people, on KPIs that are not computed from
child KPIs (the roll-up job writes those).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from goals.access import Actor
from kpis.models import Kpi, KpiVisibility
from orgs.models import Membership


def visible_kpis(actor: Actor) -> QuerySet[Kpi]:
    qs = Kpi.objects.filter(org=actor.member.org_id)
    if actor.is_admin:
        return qs
    return qs.filter(
        Q(visibility=KpiVisibility.PUBLIC)
        | Q(owner=actor.member)
        | Q(owner__in=actor.subtree or [0])
    )


def can_view(actor: Actor, kpi: Kpi) -> bool:
    return (
        actor.is_admin
        or kpi.visibility == KpiVisibility.PUBLIC
        or kpi.owner_id == actor.member.pk
        or actor.manages(kpi.owner_id)
    )


def can_create(actor: Actor, *, owner: Membership | None = None) -> bool:
    """Admins create KPIs for anyone; others only KPIs they own."""
    if actor.is_admin:
        return True
    return owner is None or owner.pk == actor.member.pk


def can_edit(actor: Actor, kpi: Kpi) -> bool:
    return actor.is_admin or kpi.owner_id == actor.member.pk or actor.manages(kpi.owner_id)


def can_record(actor: Actor, kpi: Kpi) -> bool:
    """May enter or correct measurements (computed KPIs are refused by the service)."""
    return can_edit(actor, kpi)


def get_kpi(actor: Actor, pk: int, *, for_update: bool = False) -> Kpi:
    """The KPI if the actor may see it; 404 otherwise (another organisation's included)."""
    qs = Kpi.objects.filter(org=actor.member.org_id, pk=pk).select_related("owner__user", "unit")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    kpi = qs.first()
    if kpi is None or not can_view(actor, kpi):
        raise Http404("No such KPI")
    return kpi

"""Reads. Every object is loaded through these org-scoped helpers: another
organisation's object and a missing one give the same 404."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from core import hierarchy
from orgs.models import ApiToken, Invitation, Membership, Organization, Unit, User


def memberships_of_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("org")
        .order_by("org__name")
    )


def leads_people() -> Q:
    """A membership with an active report or a unit to lead (a condition on memberships)."""
    reports = Membership.objects.filter(org=OuterRef("org"), manager=OuterRef("pk"), is_active=True)
    led = Unit.objects.filter(org=OuterRef("org"), lead=OuterRef("pk"))
    return Q(Exists(reports)) | Q(Exists(led))


def get_unit(*, org: Organization, pk: int) -> Unit:
    return get_object_or_404(Unit.objects.select_related("lead__user"), org=org, pk=pk)


def get_membership(*, org: Organization, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "unit", "manager__user"), org=org, pk=pk
    )


def get_api_token(*, membership: Membership, pk: int) -> ApiToken:
    return get_object_or_404(ApiToken, org=membership.org_id, membership=membership, pk=pk)


def get_usable_invitation(*, org: Organization, raw_token: str) -> Invitation:
    invitation = get_object_or_404(
        Invitation.objects.select_related("unit", "manager"),
        org=org,
        token_hash=Invitation.hash(raw_token),
    )
    return invitation


def get_pending_invitation(*, org: Organization, pk: int) -> Invitation:
    """An invitation of ``org`` not yet accepted (expired ones included); else 404."""
    return get_object_or_404(Invitation, org=org, pk=pk, accepted_at__isnull=True)


def units_of(*, org: Organization) -> QuerySet[Unit]:
    return Unit.objects.filter(org=org).order_by("name")


def unit_tree(*, org: Organization) -> list[Unit]:
    """Every unit in depth-first order with depth, lead and active member count: one query."""
    return list(_unit_tree_rows(org))


def get_unit_row(*, org: Organization, pk: int) -> Unit:
    """One unit with the tree page's fields (depth, lead, member count); 404 if not in ``org``."""
    return get_object_or_404(_unit_tree_rows(org), pk=pk)


def _unit_tree_rows(org: Organization) -> QuerySet[Unit]:
    member_count = (
        Membership.objects.filter(unit=OuterRef("pk"), is_active=True)
        .order_by()
        .values("unit")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Unit.objects.with_tree_fields()
        .tree_filter(org=org)
        .filter(org=org)
        .select_related("lead__user")
        .annotate(
            member_count=Coalesce(Subquery(member_count, output_field=IntegerField()), Value(0))
        )
        .order_siblings_by("name")
    )


def unit_subtree(unit: Unit) -> QuerySet[Unit]:
    """The unit and every unit below it; the recursive query stays inside its organisation."""
    below = hierarchy.subtree(Unit, unit.org_id, [unit.pk])
    return Unit.objects.filter(org=unit.org_id, pk__in=below)


def unit_paths(*, org: Organization) -> dict[int, str]:
    """Each unit's path such as "Engineering/Platform", from one query."""
    units = {u.pk: u for u in Unit.objects.filter(org=org).only("pk", "name", "parent_id")}
    paths: dict[int, str] = {}

    def path(pk: int) -> str:
        if pk not in paths:
            unit = units[pk]
            paths[pk] = (
                unit.name if unit.parent_id is None else f"{path(unit.parent_id)}/{unit.name}"
            )
        return paths[pk]

    for pk in units:
        path(pk)
    return paths


# Three no-break spaces per level: a <select> shows leading spaces only when they
# do not collapse.
MENU_INDENT = "\u00a0" * 3


def unit_menu(*, org: Organization) -> list[tuple[int, str]]:
    """The units for a <select>, in tree order (siblings by name), each labelled with its
    name indented by its depth; a name used twice says which unit it sits in. From one
    query. Full paths ("Acme/Engineering/Pla…") get cut in a narrow menu; names do not."""
    units = list(Unit.objects.filter(org=org).only("pk", "name", "parent_id"))
    by_pk = {u.pk: u for u in units}
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in by_pk else None
        children.setdefault(parent, []).append(unit)
    names = [u.name.lower() for u in units]
    menu: list[tuple[int, str]] = []

    def walk(parent: int | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: (u.name.lower(), u.pk)):
            label = unit.name
            if names.count(unit.name.lower()) > 1 and unit.parent_id in by_pk:
                label = f"{label} (in {by_pk[unit.parent_id].name})"
            menu.append((unit.pk, MENU_INDENT * depth + label))
            walk(unit.pk, depth + 1)

    walk(None, 0)
    return menu


def people(
    *,
    org: Organization,
    search: str = "",
    unit: Unit | None = None,
    role: str = "",
    status: str = "active",
) -> QuerySet[Membership]:
    qs = Membership.objects.filter(org=org).select_related("user", "unit", "manager__user")
    if status == "active":
        qs = qs.filter(is_active=True)
    elif status == "inactive":
        qs = qs.filter(is_active=False)
    if unit is not None:
        unit_ids = unit_subtree(unit).values("pk")
        qs = qs.filter(unit__in=unit_ids)
    if role:
        qs = qs.filter(role=role)
    if search:
        qs = qs.filter(
            Q(user__full_name__icontains=search)
            | Q(user__email__icontains=search)
            | Q(title__icontains=search)
        )
    return qs.order_by("user__full_name", "user__email")


def colleagues_matching(*, org: Organization, search: str) -> QuerySet[Membership]:
    """Active people whose name or email contains ``search``, by name: what every person
    picker suggests (slice it; the caller decides how many and whom to leave out)."""
    return (
        Membership.objects.filter(org=org, is_active=True)
        .filter(Q(user__full_name__icontains=search) | Q(user__email__icontains=search))
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


def manager_chain_ids(*, membership: Membership) -> set[int]:
    """The ids of ``membership`` and everyone above it in its reporting line: one recursive
    query (bounded, so a loop in the lines cannot hang it)."""
    return hierarchy.chain_ids(
        Membership, membership.org_id, [membership.pk], parent_field="manager", max_depth=10000
    )


def invitations_pending(*, org: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(org=org, accepted_at__isnull=True).order_by("-created_at")

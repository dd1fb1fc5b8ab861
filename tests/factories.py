"""factory_boy factories. Tenant rows are created with their organisation set
for row-level security, as the application does.

A tenant factory takes its organisation from the related objects it is given
(``GoalFactory(owner=bob)`` is in Bob's organisation). The goal factories also refuse
related objects from another organisation, so nothing they build crosses
organisations; units and people are plain rows, which isolation tests may plant
across organisations on purpose (``MembershipFactory(org=globex, manager=acme_person)``).

Goals, key results and check-ins are written through ``goals.services``, so their
events, approval snapshots and roll-up are the real ones:

    GoalFactory(owner=member, key_results=2, status="active")
    CheckInFactory(key_result=goal.key_results.first(), value=40)
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.db import models
from django.utils import timezone
from factory.django import DjangoModelFactory

from core.tenancy import tenant_context
from goals import services
from goals.access import Actor
from goals.models import CheckIn, Cycle, Goal, GoalStatus, KeyResult, Level
from orgs.models import Membership, Organization, Role, Unit, User

OTHER_ORG = "{factory}: {field} belongs to another organisation than {org}"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


def _org_id(obj) -> int | None:
    return obj.pk if isinstance(obj, Organization) else getattr(obj, "org_id", None)


class TenantFactory(DjangoModelFactory):
    """Creates its row inside ``tenant_context`` of the row's organisation."""

    class Meta:
        abstract = True

    # Related objects (arguments) the organisation is taken from when none is given.
    _org_from: tuple[str, ...] = ()
    # Refuse related objects of another organisation than the row's.
    _one_org = False

    @classmethod
    def _generate(cls, strategy, params):
        given = [
            (name, params[name])
            for name in cls._org_from
            if isinstance(params.get(name), models.Model)
        ]
        if params.get("org") is None and given:
            name, related = given[0]
            params = {**params, "org": Organization.objects.get(pk=related.org_id)}
        org_id = _org_id(params.get("org"))
        for name, related in given if cls._one_org else ():
            if org_id is not None and related.org_id != org_id:
                raise ValueError(OTHER_ORG.format(factory=cls.__name__, field=name, org=org_id))
        return super()._generate(strategy, params)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["org"].pk):
            return super()._create(model_class, *args, **kwargs)


class UnitFactory(TenantFactory):
    class Meta:
        model = Unit

    _org_from = ("parent", "lead")

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Unit {n}")


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    _org_from = ("unit", "manager")

    org = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER
    title = factory.Faker("job")


class CycleFactory(TenantFactory):
    """A cycle half over today, active by default."""

    class Meta:
        model = Cycle

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Cycle {n}")
    start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=45))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(days=90))
    status = Cycle.Status.ACTIVE


# --- Goals, through the services ------------------------------------------------------

# "active" is what people call an approved goal (GoalStatus.APPROVED's label).
STATUS_ALIASES = {"active": GoalStatus.APPROVED}
# Extra arguments of the goal factory: not fields of Goal.
GOAL_OPTIONS = ("key_results", "approver", "comment")


def key_result_specs(key_results: int | list[dict]) -> list[dict]:
    """``key_results`` as ``goal_create`` takes them: a number means that many 0 → 100 ones."""
    if isinstance(key_results, int):
        return [
            {
                "title": f"Key result {i + 1}",
                "start_value": Decimal(0),
                "target_value": Decimal(100),
            }
            for i in range(key_results)
        ]
    return list(key_results)


def _in_org(org: Organization, read):
    """``read()`` inside the organisation's tenant context (row-level security)."""
    with tenant_context(org.pk):
        return read()


def admin_of(org: Organization, *, other_than: Membership | None = None) -> Membership:
    """The organisation's first active admin (not ``other_than``); one is added if none."""
    admins = Membership.objects.filter(org=org, role=Role.ADMIN, is_active=True)
    if other_than is not None:
        admins = admins.exclude(pk=other_than.pk)
    return admins.order_by("pk").first() or MembershipFactory(
        org=org, role=Role.ADMIN, title="Approver"
    )


def approver_for(
    *, org: Organization, owner: Membership, level: str, unit: Unit | None
) -> Membership:
    """Who approves a goal of ``owner``: their manager, the lead of the unit above a unit
    goal or an admin, whoever may; an admin's own objective is approved as it is created.
    In an organisation where nobody may, an admin is added."""
    if level == Level.ORGANISATION and owner.is_admin:
        return owner
    probe = Goal(org=org, owner=owner, level=level, unit=unit)
    candidates = []
    if owner.manager_id:
        candidates.append(owner.manager)
    if level == Level.UNIT and unit is not None and unit.parent_id and unit.parent.lead_id:
        candidates.append(unit.parent.lead)
    for member in candidates:
        if member.is_active and Actor(member).can_approve(probe):
            return member
    return admin_of(org, other_than=owner)


class GoalFactory(TenantFactory):
    """A goal in any state, with ``key_results`` (a number or ``goal_create`` dicts).

    ``status`` is reached the way people reach it: created (by the owner, or by the
    approver when the owner may not create it), submitted, then approved, sent back
    (with ``comment``), completed or cancelled; ``approver`` defaults to
    ``approver_for``.
    """

    class Meta:
        model = Goal

    _org_from = ("owner", "cycle", "parent", "unit", "approver")
    _one_org = True

    org = factory.SubFactory(OrganizationFactory)
    # The parent's cycle, or a new one.
    cycle = factory.Maybe(
        "parent",
        yes_declaration=factory.LazyAttribute(lambda o: _in_org(o.org, lambda: o.parent.cycle)),
        no_declaration=factory.SubFactory(CycleFactory, org=factory.SelfAttribute("..org")),
    )
    parent = None
    owner = factory.SubFactory(MembershipFactory, org=factory.SelfAttribute("..org"))
    title = factory.Sequence(lambda n: f"Goal {n}")
    level = Level.INDIVIDUAL
    status = GoalStatus.DRAFT
    key_results = 1
    approver = None
    comment = ""

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        for option in GOAL_OPTIONS:
            kwargs.pop(option, None)
        kwargs["status"] = STATUS_ALIASES.get(kwargs["status"], kwargs["status"])
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        org, owner, status = kwargs.pop("org"), kwargs.pop("owner"), kwargs.pop("status")
        status = GoalStatus(STATUS_ALIASES.get(status, status))
        specs = key_result_specs(kwargs.pop("key_results"))
        approver, comment = kwargs.pop("approver"), kwargs.pop("comment")
        with tenant_context(org.pk):
            level, unit = kwargs["level"], kwargs.get("unit")
            if approver is None and status not in (GoalStatus.DRAFT, GoalStatus.CANCELLED):
                approver = approver_for(org=org, owner=owner, level=level, unit=unit)
            creator = Actor(owner)
            if not creator.can_create(level=level, owner=owner, unit=unit):
                creator = Actor(
                    approver or approver_for(org=org, owner=owner, level=level, unit=unit)
                )
            counted = status in (GoalStatus.APPROVED, GoalStatus.COMPLETED)
            goal = services.goal_create(
                actor=Actor(approver) if counted else creator,
                owner=owner,
                key_results=specs,
                status=GoalStatus.APPROVED if counted else GoalStatus.DRAFT,
                **kwargs,
            )
            if status in (GoalStatus.SUBMITTED, GoalStatus.CHANGES_REQUESTED):
                goal = services.goal_submit(actor=creator, goal=goal)
            if status == GoalStatus.CHANGES_REQUESTED:
                goal = services.goal_request_changes(
                    actor=Actor(approver), goal=goal, comment=comment or "Please revise."
                )
            elif status == GoalStatus.COMPLETED:
                goal = services.goal_complete(actor=Actor(approver), goal=goal)
            elif status == GoalStatus.CANCELLED:
                goal = services.goal_cancel(actor=creator, goal=goal, comment=comment)
            return goal


def _editor_of(goal: Goal) -> Membership:
    """The goal's owner if they may edit it, else an admin."""
    return goal.owner if Actor(goal.owner).can_edit(goal) else admin_of(goal.org)


class KeyResultFactory(TenantFactory):
    """A key result added to ``goal`` (a draft goal by default) through ``kr_add``; added
    to an active goal it waits for re-approval, as it would in the app."""

    class Meta:
        model = KeyResult

    _org_from = ("goal", "owner")
    _one_org = True

    org = factory.SubFactory(OrganizationFactory)
    goal = factory.SubFactory(GoalFactory, org=factory.SelfAttribute("..org"), key_results=0)
    title = factory.Sequence(lambda n: f"Key result {n}")
    kind = KeyResult.Kind.NUMBER
    start_value = Decimal(0)
    target_value = Decimal(100)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        org, goal = kwargs.pop("org"), kwargs.pop("goal")
        with tenant_context(org.pk):
            goal = Goal.objects.select_related("owner", "org").get(org=org, pk=goal.pk)
            return services.kr_add(actor=Actor(_editor_of(goal)), goal=goal, **kwargs)


def _first_key_result(org: Organization) -> KeyResult:
    """The key result of a new active goal: something to check in on."""
    goal = GoalFactory(org=org, status=GoalStatus.APPROVED, key_results=1)
    with tenant_context(org.pk):
        return KeyResult.objects.select_related("goal").get(org=org, goal=goal)


def halfway(kr: KeyResult) -> Decimal:
    """A value half-way to the target (done, for done / not done)."""
    if kr.kind == KeyResult.Kind.BOOLEAN:
        return Decimal(1)
    return (kr.start_value + kr.target_value) / 2


class CheckInFactory(TenantFactory):
    """A check-in through ``checkin_create`` by ``author`` (the goal's owner by default),
    half-way to the target unless ``value`` is given; the goal must be active."""

    class Meta:
        model = CheckIn

    _org_from = ("key_result", "author")
    _one_org = True

    org = factory.SubFactory(OrganizationFactory)
    key_result = factory.LazyAttribute(lambda o: _first_key_result(o.org))
    author = None
    value = factory.LazyAttribute(lambda o: halfway(o.key_result))
    confidence = ""
    note = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        org, kr, author = kwargs.pop("org"), kwargs.pop("key_result"), kwargs.pop("author")
        with tenant_context(org.pk):
            kr = KeyResult.objects.select_related("goal__owner").get(org=org, pk=kr.pk)
            actor = Actor(author or kr.goal.owner)
            return services.checkin_create(actor=actor, key_result=kr, **kwargs)

"""REST API for cycles, goals, key results, check-ins, milestones, approval actions,
cascading and the cascade tree.

The same rules as the pages: goals load only through ``goals.access.get_goal``
(another organisation's, a missing or an invisible goal is a 404), ids sent in a
body resolve within the organisation and among the goals the caller can see (else
a 400 on that field, the same for all three), and every write goes through
``goals.services``: their ValidationErrors become 400s with field errors, their
PermissionDenied a 403 with the service's message.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from core.api import api_validation_error
from goals import services
from goals.access import Actor, get_goal, request_actor
from goals.health import Health, health_for
from goals.models import (
    CheckIn,
    Confidence,
    Cycle,
    Goal,
    GoalEvent,
    GoalStatus,
    KeyResult,
    Level,
    Milestone,
    Visibility,
)
from goals.rollup import explain, proposed_progress
from orgs.api import InOrgField, MembersReadAdminsWrite, OrgAPIView
from orgs.models import Membership, Unit

NO_SUCH_KEY_RESULT = "No such key result"
CURRENT_VALUE_BY_CHECKIN = "Record a check-in to change the current value."
MILESTONES_AT_CREATION = "Milestones are set when the key result is created."
NOT_CHANGEABLE = "This cannot be changed: create a new goal instead."
STATUS_BY_ACTION = "Use the submit, approve, request-changes, complete or cancel actions."
KEY_RESULTS_SEPARATELY = "Edit key results at /key-results/."
NO_SUCH_MILESTONE = "No such milestone"
# One cascade request creates at most this many goals.
CASCADE_MAX = 200

HEALTH_CODES = [
    ("on_track", "On track"),
    ("at_risk", "At risk"),
    ("off_track", "Off track"),
    ("done", "Completed"),
    ("not_started", "Not active yet"),
    ("cancelled", "Cancelled"),
]
STATUS_HELP = "One of: " + ", ".join(GoalStatus.values) + "."


class IsMember(BasePermission):
    """Any active member: what they may do with a goal is the services' decision."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return getattr(view, "membership", None) is not None


class GoalsAPIView(OrgAPIView):
    """Base view: ``self.actor`` for the request's membership and the services' errors as
    400 and 403 answers."""

    permission_classes = [IsAuthenticated, IsMember]

    @property
    def actor(self) -> Actor:
        return request_actor(self.request._request)

    def parse(self, serializer_class: type[serializers.Serializer], data, **kwargs) -> dict:
        serializer = serializer_class(
            data=data, context={"org": self.org, "actor": self.actor}, **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def goal_data(self, pk: int) -> dict:
        """The goal as the API shows it, with its key results and their milestones."""
        goal = get_goal(self.actor, pk)
        goal.prefetched_key_results = list(
            key_results_of(self.org).filter(goal=goal).prefetch_related("milestones")
        )
        if goal.needs_reapproval:
            goal.proposed_progress = proposed_progress(goal)
        return GoalSerializer(goal, context={"org": self.org}).data

    def get_key_result(self, pk: int) -> KeyResult:
        """A key result of a goal the caller can see; otherwise the same 404 as a missing one."""
        kr = key_results_of(self.org).prefetch_related("milestones").filter(pk=pk).first()
        if kr is None:
            raise Http404(NO_SUCH_KEY_RESULT)
        try:
            kr.goal = get_goal(self.actor, kr.goal_id)
        except Http404:
            raise Http404(NO_SUCH_KEY_RESULT) from None
        return kr


def key_results_of(org) -> QuerySet[KeyResult]:
    return KeyResult.objects.filter(org=org).order_by("position", "pk")


class VisibleGoalField(serializers.PrimaryKeyRelatedField):
    """A goal id among those the caller can see: another organisation's, a missing and a
    private goal all get the same answer."""

    default_error_messages = {"does_not_exist": services.PARENT_NOT_FOUND}

    def __init__(self, **kwargs) -> None:
        super().__init__(pk_field=serializers.IntegerField(), **kwargs)

    def get_queryset(self) -> QuerySet[Goal]:
        return self.context["actor"].visible_goals()


def _refuse_fields(serializer: serializers.Serializer, messages: dict[str, str]) -> None:
    """A 400 for fields that this request may not change, rather than ignoring them."""
    sent = serializer.initial_data
    errors = {name: [message] for name, message in messages.items() if name in sent}
    if errors:
        raise serializers.ValidationError(errors)


def value_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=18, decimal_places=4, normalize_output=True, **kwargs
    )


def weight_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=8, decimal_places=2, normalize_output=True, **kwargs)


# --- Output -------------------------------------------------------------------


class ConfidenceField(serializers.ChoiceField):
    """low, medium or high; null when nobody has said (stored as "")."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=Confidence.choices, allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value: str) -> str | None:
        return value or None


class HealthSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=HEALTH_CODES)
    label = serializers.CharField(help_text="The status in words, such as “At risk”.")
    stale = serializers.BooleanField(
        help_text="Nobody checked in within the organisation's check-in cadence."
    )
    expected_percent = serializers.IntegerField(
        help_text="The progress expected by now from the time elapsed in the cycle."
    )


def health_data(health: Health) -> dict:
    return {
        "code": health.code,
        "label": health.label,
        "stale": health.stale,
        "expected_percent": health.expected_percent,
    }


class MilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "title", "done"]
        read_only_fields = fields


class KeyResultSerializer(serializers.ModelSerializer):
    start_value = value_field(read_only=True)
    target_value = value_field(read_only=True)
    current_value = value_field(read_only=True)
    weight = weight_field(read_only=True)
    progress = serializers.FloatField(read_only=True, help_text="0 to 1.")
    percent = serializers.SerializerMethodField()
    milestones = MilestoneSerializer(many=True, read_only=True)

    class Meta:
        model = KeyResult
        fields = [
            "id",
            "goal",
            "title",
            "kind",
            "direction",
            "start_value",
            "target_value",
            "current_value",
            "unit_label",
            "weight",
            "owner",
            "progress",
            "percent",
            "awaiting_approval",
            "milestones",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "awaiting_approval": {
                "help_text": "Added to an active goal since approval: counts once approved."
            }
        }

    def get_percent(self, kr: KeyResult) -> int:
        return round(kr.progress * 100)


class GoalSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.display_name", read_only=True)
    weight = weight_field(read_only=True)
    manual_progress = serializers.DecimalField(
        max_digits=5, decimal_places=2, normalize_output=True, read_only=True, allow_null=True
    )
    progress = serializers.FloatField(read_only=True, help_text="0 to 1.")
    percent = serializers.IntegerField(read_only=True, help_text="Progress in percent, 0 to 100.")
    health = serializers.SerializerMethodField()
    confidence = ConfidenceField(help_text="The latest check-in's; null before any says.")
    needs_reapproval = serializers.BooleanField(
        read_only=True,
        help_text="Targets, weights or parent changed since approval: "
        "approved_snapshot holds what was approved.",
    )
    pending_changes = serializers.JSONField(
        read_only=True,
        allow_null=True,
        help_text="A change waiting for re-approval, which does not count until approved: "
        "parent_id, weight, key_results ({id: {field: value}}) and removed (key result ids). "
        "parent, weight and the key results' targets are the approved version.",
    )
    proposed_progress = serializers.SerializerMethodField(
        help_text="On a single goal that needs re-approval: its progress (0 to 1) with the "
        "waiting change; otherwise null."
    )
    key_results = KeyResultSerializer(many=True, read_only=True, source="prefetched_key_results")

    class Meta:
        model = Goal
        fields = [
            "id",
            "title",
            "description",
            "level",
            "status",
            "cycle",
            "owner",
            "owner_name",
            "unit",
            "parent",
            "weight",
            "visibility",
            "due_date",
            "confidence",
            "manual_progress",
            "progress",
            "percent",
            "health",
            "needs_reapproval",
            "approved_snapshot",
            "pending_changes",
            "proposed_progress",
            "last_checkin_at",
            "created_at",
            "updated_at",
            "key_results",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "owner": {"help_text": "The owner's membership id."},
            "parent": {"help_text": "The goal this one contributes to."},
            "approved_snapshot": {
                "help_text": "What the approver approved: parent, weight and key result targets."
            },
        }

    @extend_schema_field(HealthSerializer)
    def get_health(self, goal: Goal) -> dict:
        return health_data(health_for(goal, self.context["org"]))

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_proposed_progress(self, goal: Goal) -> float | None:
        return getattr(goal, "proposed_progress", None)


class CycleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cycle
        fields = ["id", "name", "start", "end", "status"]
        read_only_fields = ["id"]


class CheckInSerializer(serializers.ModelSerializer):
    value = value_field(read_only=True)
    confidence = ConfidenceField()
    author_name = serializers.CharField(
        source="author.display_name", read_only=True, allow_null=True
    )

    class Meta:
        model = CheckIn
        fields = ["id", "key_result", "value", "confidence", "note", "author", "author_name"]
        fields += ["created_at"]
        read_only_fields = fields


class GoalEventSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(
        read_only=True, help_text="What happened, such as created, edited, approved, checked_in."
    )
    actor_name = serializers.CharField(source="actor.display_name", read_only=True, allow_null=True)

    class Meta:
        model = GoalEvent
        fields = ["id", "kind", "actor", "actor_name", "before", "after", "comment", "created_at"]
        read_only_fields = fields


class ContributionSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="key_result or goal (a counted child goal).")
    id = serializers.IntegerField()
    title = serializers.CharField()
    weight = serializers.FloatField()
    progress = serializers.FloatField(help_text="0 to 1.")
    percent = serializers.IntegerField()
    contribution = serializers.FloatField(
        help_text="weight × progress ÷ the sum of the weights: the contributions add up to value."
    )


class ExplanationSerializer(serializers.Serializer):
    goal = serializers.IntegerField()
    value = serializers.FloatField(help_text="The goal's progress recomputed from these terms.")
    percent = serializers.IntegerField()
    progress = serializers.FloatField(help_text="The stored progress (equal to value).")
    manual_progress = serializers.DecimalField(
        max_digits=5, decimal_places=2, normalize_output=True, allow_null=True
    )
    uses_manual_progress = serializers.BooleanField(
        help_text="No key results and no counted child goals: the manual progress counts."
    )
    contributions = ContributionSerializer(many=True)


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TreeNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField(help_text="The status in words, such as “Active”.")
    owner = PersonRefSerializer()
    unit = UnitRefSerializer(allow_null=True)
    progress = serializers.FloatField(help_text="0 to 1.")
    percent = serializers.IntegerField()
    health = HealthSerializer()
    needs_reapproval = serializers.BooleanField()


# A node's children are nodes: declared after the class so the schema can refer to itself.
TreeNodeSerializer._declared_fields["children"] = TreeNodeSerializer(many=True)


class TreeSerializer(serializers.Serializer):
    cycle = CycleSerializer()
    count = serializers.IntegerField(help_text="The number of goals in the tree.")
    goals = TreeNodeSerializer(
        many=True,
        help_text="Top-level goals (organisation objectives first), each with its children. "
        "A goal whose parent you cannot see is at the top.",
    )


# --- Input --------------------------------------------------------------------


class NewKeyResultSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=KeyResult.Kind.choices, default=KeyResult.Kind.NUMBER)
    direction = serializers.ChoiceField(
        choices=KeyResult.Direction.choices, default=KeyResult.Direction.INCREASE
    )
    start_value = value_field(default=0)
    target_value = value_field(default=1)
    current_value = value_field(
        required=False, allow_null=True, help_text="Defaults to the start value."
    )
    unit_label = serializers.CharField(max_length=20, allow_blank=True, default="")
    weight = weight_field(default=1)
    owner = InOrgField(
        queryset=Membership.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="The membership id of who reports on it.",
    )
    milestones = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        max_length=50,
        help_text="Milestone titles, for kind milestones.",
    )

    def validate(self, attrs: dict) -> dict:
        # The service's own checks, here so that an error names the key result it is about.
        kr = KeyResult(**{k: v for k, v in attrs.items() if k not in ("milestones", "goal")})
        services.kr_prepare(kr)
        if attrs.get("current_value") is None:
            kr.current_value = kr.start_value
        try:
            services.kr_validate_new(kr, attrs.get("milestones"))
        except DjangoValidationError as error:
            raise api_validation_error(error) from None
        return attrs


class KeyResultCreateSerializer(NewKeyResultSerializer):
    goal = VisibleGoalField(help_text="The goal this key result measures.")


class KeyResultUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    kind = serializers.ChoiceField(choices=KeyResult.Kind.choices, required=False)
    direction = serializers.ChoiceField(choices=KeyResult.Direction.choices, required=False)
    start_value = value_field(required=False)
    target_value = value_field(required=False)
    unit_label = serializers.CharField(max_length=20, allow_blank=True, required=False)
    weight = weight_field(required=False)
    owner = InOrgField(
        queryset=Membership.objects.filter(is_active=True), required=False, allow_null=True
    )

    def validate(self, attrs: dict) -> dict:
        _refuse_fields(
            self,
            {
                "goal": NOT_CHANGEABLE,
                "current_value": CURRENT_VALUE_BY_CHECKIN,
                "milestones": MILESTONES_AT_CREATION,
            },
        )
        return attrs


class GoalCreateSerializer(serializers.Serializer):
    cycle = InOrgField(
        queryset=Cycle.objects.all(), error_messages={"does_not_exist": services.CYCLE_OTHER_ORG}
    )
    title = serializers.CharField(max_length=200)
    level = serializers.ChoiceField(choices=Level.choices, default=Level.INDIVIDUAL)
    owner = InOrgField(
        queryset=Membership.objects.filter(is_active=True),
        required=False,
        help_text="The owner's membership id; defaults to you.",
    )
    parent = VisibleGoalField(
        required=False, allow_null=True, help_text="The goal this one contributes to."
    )
    unit = InOrgField(
        queryset=Unit.objects.all(), required=False, allow_null=True, help_text="For unit goals."
    )
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    weight = weight_field(required=False, help_text="Its share of the parent; above 0.")
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    due_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Inside the cycle and not after the parent's; defaults to the parent's "
        "due date or the cycle's end.",
    )
    manual_progress = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="0 to 100; counts only for a goal with no key results and no counted children.",
    )
    key_results = NewKeyResultSerializer(many=True, required=False, max_length=50)
    approve = serializers.BooleanField(
        default=False,
        help_text="Create and approve at once (a manager for a direct report, an admin).",
    )


class GoalUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    parent = VisibleGoalField(required=False, allow_null=True)
    unit = InOrgField(queryset=Unit.objects.all(), required=False, allow_null=True)
    weight = weight_field(required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    due_date = serializers.DateField(required=False)
    manual_progress = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, allow_null=True
    )

    def validate(self, attrs: dict) -> dict:
        _refuse_fields(
            self,
            {
                "cycle": NOT_CHANGEABLE,
                "owner": NOT_CHANGEABLE,
                "level": NOT_CHANGEABLE,
                "status": STATUS_BY_ACTION,
                "key_results": KEY_RESULTS_SEPARATELY,
            },
        )
        return attrs


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=5000, allow_blank=True, default="")


class CheckInCreateSerializer(serializers.Serializer):
    value = value_field(help_text="The key result's new value (1 or 0 for done / not done).")
    confidence = serializers.ChoiceField(choices=Confidence.choices, allow_blank=True, default="")
    note = serializers.CharField(max_length=5000, allow_blank=True, default="")


class MilestoneDoneSerializer(serializers.Serializer):
    done = serializers.BooleanField(help_text="true to tick the milestone, false to reopen it.")


class CascadeSerializer(serializers.Serializer):
    """Units and people within the caller's reach: another organisation's, a missing and an
    unreachable id all get the same answer."""

    units = serializers.ListField(
        child=serializers.IntegerField(),
        default=list,
        max_length=CASCADE_MAX,
        help_text="Unit ids: each gets a unit goal owned by its lead (or you, without one). "
        "Units you lead or below them; admins any unit.",
    )
    people = serializers.ListField(
        child=serializers.IntegerField(),
        default=list,
        max_length=CASCADE_MAX,
        help_text="Membership ids: each gets an individual goal. People who report to you, "
        "directly or not; admins anyone active.",
    )
    approve = serializers.BooleanField(
        default=False,
        help_text="Approve at once the goals of your direct reports; the others are drafts.",
    )
    title = serializers.CharField(
        max_length=200,
        error_messages={
            "required": services.CASCADE_TITLE_REQUIRED,
            "blank": services.CASCADE_TITLE_REQUIRED,
        },
        help_text="The contributing goals' own title: what they achieve toward this goal, "
        "not a copy of its title.",
    )

    def validate_units(self, ids: list[int]) -> list[Unit]:
        actor: Actor = self.context["actor"]
        units = Unit.objects.filter(org=self.context["org"])
        if not actor.is_admin:
            units = units.filter(pk__in=list(actor.led_units))
        return _within_reach(units.select_related("lead__user"), ids)

    def validate_people(self, ids: list[int]) -> list[Membership]:
        actor: Actor = self.context["actor"]
        people = Membership.objects.filter(org=self.context["org"], is_active=True).exclude(
            pk=actor.member.pk
        )
        if not actor.is_admin:
            people = people.filter(pk__in=list(actor.subtree))
        return _within_reach(people.select_related("user", "unit"), ids)


def _within_reach(queryset: QuerySet, ids: list[int]) -> list:
    """The objects for ``ids`` (in order, once each), or a 400 if any is out of reach."""
    wanted = list(dict.fromkeys(ids))
    # An id no database column could hold is simply not found.
    storable = [pk for pk in wanted if 0 < pk < 2**63]
    found = {obj.pk: obj for obj in queryset.filter(pk__in=storable)}
    if len(found) != len(wanted):
        raise serializers.ValidationError(services.CASCADE_OUT_OF_REACH)
    return [found[pk] for pk in wanted]


class GoalFilterSerializer(serializers.Serializer):
    cycle = InOrgField(queryset=Cycle.objects.all(), required=False)
    owner = InOrgField(queryset=Membership.objects.all(), required=False)
    unit = InOrgField(queryset=Unit.objects.all(), required=False)
    status = serializers.ChoiceField(choices=GoalStatus.choices, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    parent = VisibleGoalField(required=False, help_text="The goals contributing to this one.")
    q = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Search titles."
    )


class TreeFilterSerializer(serializers.Serializer):
    cycle = InOrgField(queryset=Cycle.objects.all())


# --- Cycles -------------------------------------------------------------------


class CycleListView(GoalsAPIView):
    """Goal periods such as “2027 Q1”."""

    permission_classes = [IsAuthenticated, MembersReadAdminsWrite]
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="cycles_list",
        tags=["cycles"],
        responses=CycleSerializer(many=True),
        description="Newest first.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        paginator = self.pagination_class()
        cycles = Cycle.objects.filter(org=self.org).order_by("-start", "pk")
        page = paginator.paginate_queryset(cycles, request, view=self)
        return paginator.get_paginated_response(CycleSerializer(page, many=True).data)

    @extend_schema(
        operation_id="cycles_create",
        tags=["cycles"],
        request=CycleSerializer,
        responses={201: CycleSerializer},
        description="Admins only.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(CycleSerializer, request.data)
        cycle = services.cycle_save(actor=self.actor, **data)
        return Response(CycleSerializer(cycle).data, status=status.HTTP_201_CREATED)


class CycleDetailView(GoalsAPIView):
    """One goal period."""

    permission_classes = [IsAuthenticated, MembersReadAdminsWrite]

    @extend_schema(operation_id="cycles_retrieve", tags=["cycles"], responses=CycleSerializer)
    def get(self, request: Request, org_slug: str, cycle_pk: int) -> Response:
        cycle = get_object_or_404(Cycle, org=self.org, pk=cycle_pk)
        return Response(CycleSerializer(cycle).data)

    @extend_schema(
        operation_id="cycles_update",
        tags=["cycles"],
        request=CycleSerializer,
        responses=CycleSerializer,
        description="Admins only.",
    )
    def patch(self, request: Request, org_slug: str, cycle_pk: int) -> Response:
        cycle = get_object_or_404(Cycle, org=self.org, pk=cycle_pk)
        data = self.parse(CycleSerializer, request.data, partial=True)
        fields = {"name": cycle.name, "start": cycle.start, "end": cycle.end}
        fields |= {"status": cycle.status, **data}
        services.cycle_save(actor=self.actor, cycle=cycle, **fields)
        return Response(CycleSerializer(cycle).data)


# --- Goals --------------------------------------------------------------------


class GoalListView(GoalsAPIView):
    """The goals you can see: public ones, your own and your reports' private ones."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="goals_list",
        tags=["goals"],
        parameters=[GoalFilterSerializer],
        responses=GoalSerializer(many=True),
        description="By title, with their key results.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        filters = self.parse(GoalFilterSerializer, request.query_params)
        goals = self.actor.visible_goals()
        for name in ("cycle", "owner", "unit", "status", "level", "parent"):
            if filters.get(name):
                goals = goals.filter(**{name: filters[name]})
        if filters.get("q"):
            goals = goals.filter(title__icontains=filters["q"])
        paginator = self.pagination_class()
        # The page's ids first, from the goals alone (in title order from goal_org_title),
        # then those goals with their owners and cycles. Joined before the LIMIT, the
        # planner, misjudging how many goals of one organisation a join keeps when many
        # share the database, sorted every visible goal.
        ids = goals.order_by("title", "pk").values_list("pk", flat=True)
        page_ids = paginator.paginate_queryset(ids, request, view=self)
        # The cycles in a query of their own: joined, the planner expected one goal for
        # "id IN (…)" and read every goal of the organisation through its cycles.
        found = Goal.objects.filter(org=self.org, pk__in=list(page_ids))
        found = found.select_related("owner__user").prefetch_related(
            "cycle",
            Prefetch(
                "key_results",
                queryset=key_results_of(self.org).prefetch_related("milestones"),
                to_attr="prefetched_key_results",
            ),
        )
        by_id = {goal.pk: goal for goal in found}
        page = [by_id[pk] for pk in page_ids]
        data = GoalSerializer(page, many=True, context={"org": self.org}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        operation_id="goals_create",
        tags=["goals"],
        request=GoalCreateSerializer,
        responses={201: GoalSerializer},
        description="A draft (or, with approve, an active goal) with its key results. "
        "Members create their own goals, managers also their reports' goals and goals of "
        "units they lead; admins any goal.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(GoalCreateSerializer, request.data)
        approve = data.pop("approve")
        key_results = [dict(kr) for kr in data.pop("key_results", [])]
        goal = services.goal_create(
            actor=self.actor,
            key_results=key_results,
            status=GoalStatus.APPROVED if approve else GoalStatus.DRAFT,
            **data,
        )
        return Response(self.goal_data(goal.pk), status=status.HTTP_201_CREATED)


class GoalDetailView(GoalsAPIView):
    """One goal with its key results, progress and health. Cancel a goal rather than delete it."""

    @extend_schema(operation_id="goals_retrieve", tags=["goals"], responses=GoalSerializer)
    def get(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        return Response(self.goal_data(goal_pk))

    @extend_schema(
        operation_id="goals_update",
        tags=["goals"],
        request=GoalUpdateSerializer,
        responses=GoalSerializer,
        description="Changing the parent or weight of an active goal sends it back for "
        "re-approval (needs_reapproval): until approved, the approved ones stay in parent and "
        "weight and count, and the change waits in pending_changes.",
    )
    def patch(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        data = self.parse(GoalUpdateSerializer, request.data, partial=True)
        services.goal_update(actor=self.actor, goal=goal, **data)
        return Response(self.goal_data(goal_pk))


class GoalSubmitView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_submit",
        tags=["goal approval"],
        request=None,
        responses=GoalSerializer,
        description="Send a draft (or a goal with changes requested) for approval.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        services.goal_submit(actor=self.actor, goal=get_goal(self.actor, goal_pk))
        return Response(self.goal_data(goal_pk))


class GoalApproveView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_approve",
        tags=["goal approval"],
        request=None,
        responses=GoalSerializer,
        description="The owner's manager approves individual goals, the lead of a unit above "
        "approves unit goals, admins any goal; nobody approves their own. Also approves the "
        "changes of a goal that needs re-approval.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        services.goal_approve(actor=self.actor, goal=get_goal(self.actor, goal_pk))
        return Response(self.goal_data(goal_pk))


class GoalRequestChangesView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_request_changes",
        tags=["goal approval"],
        request=CommentSerializer,
        responses=GoalSerializer,
        description="Send a submitted goal back to its owner; the comment is required.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        data = self.parse(CommentSerializer, request.data)
        services.goal_request_changes(actor=self.actor, goal=goal, comment=data["comment"])
        return Response(self.goal_data(goal_pk))


class GoalCompleteView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_complete",
        tags=["goal approval"],
        request=None,
        responses=GoalSerializer,
        description="Mark an active goal completed.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        services.goal_complete(actor=self.actor, goal=get_goal(self.actor, goal_pk))
        return Response(self.goal_data(goal_pk))


class GoalCancelView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_cancel",
        tags=["goal approval"],
        request=CommentSerializer,
        responses=GoalSerializer,
        description="Cancel a goal that is not completed; it stops counting toward its parent.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        data = self.parse(CommentSerializer, request.data)
        services.goal_cancel(actor=self.actor, goal=goal, comment=data["comment"])
        return Response(self.goal_data(goal_pk))


class GoalExplainView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_explain",
        tags=["goals"],
        responses=ExplanationSerializer,
        description="Why the goal is at its progress: the key results and counted child "
        "goals behind it with their weights and values.",
    )
    def get(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        contributions, value = explain(goal)
        total = sum(c.weight for c in contributions)
        data = {
            "goal": goal.pk,
            "value": value,
            "percent": round(value * 100),
            "progress": goal.progress,
            "manual_progress": goal.manual_progress,
            "uses_manual_progress": total <= 0,
            "contributions": [
                {
                    "kind": c.kind,
                    "id": c.pk,
                    "title": c.title,
                    "weight": c.weight,
                    "progress": c.progress,
                    "percent": round(c.progress * 100),
                    "contribution": c.share / total if total > 0 else 0.0,
                }
                for c in contributions
            ],
        }
        return Response(ExplanationSerializer(data).data)


class GoalEventListView(GoalsAPIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="goals_events",
        tags=["goals"],
        responses=GoalEventSerializer(many=True),
        description="The goal's activity timeline, newest first: who changed what, when, "
        "with the values before and after.",
    )
    def get(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        events = GoalEvent.objects.filter(org=self.org, goal=goal).select_related("actor__user")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(events.order_by("-created_at", "-pk"), request, self)
        return paginator.get_paginated_response(GoalEventSerializer(page, many=True).data)


# --- Key results and check-ins ------------------------------------------------------


class KeyResultListView(GoalsAPIView):
    @extend_schema(
        operation_id="key_results_create",
        tags=["key results"],
        request=KeyResultCreateSerializer,
        responses={201: KeyResultSerializer},
        description="Add a key result to a goal you may edit. On an active goal it sends the "
        "goal back for re-approval.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(KeyResultCreateSerializer, request.data)
        kr = services.kr_add(actor=self.actor, **data)
        return Response(KeyResultSerializer(kr).data, status=status.HTTP_201_CREATED)


class KeyResultDetailView(GoalsAPIView):
    @extend_schema(
        operation_id="key_results_retrieve", tags=["key results"], responses=KeyResultSerializer
    )
    def get(self, request: Request, org_slug: str, kr_pk: int) -> Response:
        return Response(KeyResultSerializer(self.get_key_result(kr_pk)).data)

    @extend_schema(
        operation_id="key_results_update",
        tags=["key results"],
        request=KeyResultUpdateSerializer,
        responses=KeyResultSerializer,
        description="Change what the key result measures; record a check-in to change its "
        "current value. Changed targets, kinds, directions or weights of an active goal wait "
        "for re-approval (the goal's pending_changes): the answer shows the approved values, "
        "which count until then.",
    )
    def patch(self, request: Request, org_slug: str, kr_pk: int) -> Response:
        kr = self.get_key_result(kr_pk)
        data = self.parse(KeyResultUpdateSerializer, request.data, partial=True)
        kr = services.kr_update(actor=self.actor, key_result=kr, **data)
        return Response(KeyResultSerializer(kr).data)

    @extend_schema(
        operation_id="key_results_destroy",
        tags=["key results"],
        responses={204: None},
        description="Remove a key result from a goal you may edit.",
    )
    def delete(self, request: Request, org_slug: str, kr_pk: int) -> Response:
        services.kr_delete(actor=self.actor, key_result=self.get_key_result(kr_pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CheckInListView(GoalsAPIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="check_ins_list",
        tags=["check-ins"],
        responses=CheckInSerializer(many=True),
        description="The key result's check-ins, newest first.",
    )
    def get(self, request: Request, org_slug: str, kr_pk: int) -> Response:
        kr = self.get_key_result(kr_pk)
        checkins = (
            CheckIn.objects.filter(org=self.org, key_result=kr)
            .select_related("author__user")
            .order_by("-created_at", "-pk")
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(checkins, request, view=self)
        return paginator.get_paginated_response(CheckInSerializer(page, many=True).data)

    @extend_schema(
        operation_id="check_ins_create",
        tags=["check-ins"],
        request=CheckInCreateSerializer,
        responses={201: CheckInSerializer},
        description="A new value for a key result of an active goal: the key result, its goal "
        "and every goal above it update together. Members check in on goals they own, "
        "managers also on their reports' goals.",
    )
    def post(self, request: Request, org_slug: str, kr_pk: int) -> Response:
        kr = self.get_key_result(kr_pk)
        data = self.parse(CheckInCreateSerializer, request.data)
        checkin = services.checkin_create(actor=self.actor, key_result=kr, **data)
        return Response(CheckInSerializer(checkin).data, status=status.HTTP_201_CREATED)


class MilestoneView(GoalsAPIView):
    @extend_schema(
        operation_id="milestones_update",
        tags=["check-ins"],
        request=MilestoneDoneSerializer,
        responses=KeyResultSerializer,
        description="Tick or reopen a milestone of a key result of an active goal: the key "
        "result, its goal and every goal above it update together. Answers with the key "
        "result and all its milestones. Members tick milestones on goals they own, managers "
        "also on their reports' goals.",
    )
    def post(self, request: Request, org_slug: str, milestone_pk: int) -> Response:
        # Loaded through its goal; another organisation's, a missing and an invisible
        # milestone get the same 404. No prefetched milestones: the service counts them
        # after saving this one.
        milestone = (
            Milestone.objects.filter(org=self.org, pk=milestone_pk)
            .select_related("key_result")
            .first()
        )
        if milestone is None:
            raise Http404(NO_SUCH_MILESTONE)
        try:
            milestone.key_result.goal = get_goal(self.actor, milestone.key_result.goal_id)
        except Http404:
            raise Http404(NO_SUCH_MILESTONE) from None
        data = self.parse(MilestoneDoneSerializer, request.data)
        services.milestone_set_done(actor=self.actor, milestone=milestone, done=data["done"])
        return Response(KeyResultSerializer(self.get_key_result(milestone.key_result_id)).data)


# --- Cascade ------------------------------------------------------------------------


class GoalCascadeView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_cascade",
        tags=["goals"],
        request=CascadeSerializer,
        responses={201: GoalSerializer(many=True)},
        description="Create goals contributing to this active goal: a unit goal for each unit "
        "and an individual goal for each person, titled as you say, with its visibility and "
        "due date, as drafts "
        "for their owners to complete and submit (with approve, your direct reports' goals "
        "are active at once). Managers cascade to units they lead and people in their "
        "subtree, admins anywhere.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        source = get_goal(self.actor, goal_pk)
        if not self.actor.can_cascade(source):
            raise DjangoPermissionDenied(services.NOT_ALLOWED)
        data = self.parse(CascadeSerializer, request.data)
        created = services.goal_cascade(actor=self.actor, source=source, **data)
        order = {goal.pk: index for index, goal in enumerate(created)}
        goals = (
            Goal.objects.filter(org=self.org, pk__in=list(order))
            .select_related("owner__user", "cycle")
            .prefetch_related(
                Prefetch(
                    "key_results",
                    queryset=key_results_of(self.org).prefetch_related("milestones"),
                    to_attr="prefetched_key_results",
                )
            )
        )
        goals = sorted(goals, key=lambda goal: order[goal.pk])
        data = GoalSerializer(goals, many=True, context={"org": self.org}).data
        return Response(data, status=status.HTTP_201_CREATED)


# --- The cascade tree ---------------------------------------------------------------


class GoalTreeView(GoalsAPIView):
    @extend_schema(
        operation_id="goals_tree",
        tags=["goals"],
        parameters=[TreeFilterSerializer],
        responses=TreeSerializer,
        description="The cycle's cascade: the goals you can see, nested under the goal each "
        "contributes to.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        cycle = self.parse(TreeFilterSerializer, request.query_params)["cycle"]
        # One query for the whole tree, whatever its size; nesting happens here.
        goals = list(
            self.actor.visible_goals()
            .filter(cycle=cycle)
            .select_related("owner__user", "unit", "cycle")
            .order_by("title", "pk")
        )
        nodes = {goal.pk: self._node(goal) for goal in goals}
        roots = []
        for goal in goals:
            parent = nodes.get(goal.parent_id)
            (parent["children"] if parent else roots).append(nodes[goal.pk])
        roots.sort(key=lambda node: Level.rank(node["level"]))
        data = {"cycle": CycleSerializer(cycle).data, "count": len(goals), "goals": roots}
        return Response(data)

    def _node(self, goal: Goal) -> dict:
        return {
            "id": goal.pk,
            "title": goal.title,
            "level": goal.level,
            "status": goal.status,
            "status_label": goal.get_status_display(),
            "owner": {"id": goal.owner_id, "name": goal.owner.display_name},
            "unit": {"id": goal.unit_id, "name": goal.unit.name} if goal.unit else None,
            "progress": goal.progress,
            "percent": goal.percent,
            "health": health_data(health_for(goal, self.org)),
            "needs_reapproval": goal.needs_reapproval,
            "children": [],
        }

"""The goals API's serializers: what goes in and out, validated, with its messages."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import api_validation_error
from goals import services
from goals.access import Actor
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
from kpis.models import Kpi
from orgs.api import InOrgField
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
    reason = serializers.CharField(
        help_text="Why a goal on pace is at risk (a key result's trend misses its target "
        "by the cycle's end); empty otherwise."
    )


def health_data(health: Health) -> dict:
    return {
        "code": health.code,
        "label": health.label,
        "stale": health.stale,
        "expected_percent": health.expected_percent,
        "reason": health.reason,
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
            "kpi",
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
    kpi = InOrgField(
        queryset=Kpi.objects.all(),
        required=False,
        allow_null=True,
        help_text="The KPI whose latest value the hourly roll-up records as check-ins.",
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
    kpi = InOrgField(
        queryset=Kpi.objects.all(),
        required=False,
        allow_null=True,
        help_text="The KPI to follow, or null to check in by hand.",
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


# --- Goals --------------------------------------------------------------------


# --- Key results and check-ins ------------------------------------------------------


# --- Cascade ------------------------------------------------------------------------


# --- The cascade tree ---------------------------------------------------------------

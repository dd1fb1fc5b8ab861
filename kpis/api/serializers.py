"""The KPI API's serializers: what goes in and out, validated, with the services' messages."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from goals.access import Actor
from goals.api.serializers import value_field, weight_field
from goals.models import Goal
from kpis import services
from kpis.access import visible_kpis
from kpis.models import Aggregation, Cadence, Direction, Kpi, KpiVisibility, Measurement, Source
from kpis.status import Status, status_of
from orgs.api import InOrgField
from orgs.models import Membership, Unit

NO_SUCH_KPI = "Choose a KPI of this organisation that you can see."
GOALS_OUT_OF_REACH = "Choose goals of this organisation that you can see."
MAX_GOALS = 100


# --- Output -------------------------------------------------------------------


class KpiSerializer(serializers.ModelSerializer):
    """A KPI with its latest value and status; ``goals`` needs ``visible_goal_ids``."""

    target = value_field(read_only=True)
    target_low = value_field(read_only=True, allow_null=True)
    amber_threshold = value_field(read_only=True)
    red_threshold = value_field(read_only=True)
    weight = weight_field(read_only=True)
    latest_value = value_field(read_only=True, allow_null=True)
    goals = serializers.SerializerMethodField(
        help_text="The ids of the goals this KPI informs (those you can see)."
    )
    status = serializers.SerializerMethodField(
        help_text="The latest value against the thresholds: on_target, amber, red or no_data."
    )
    status_label = serializers.SerializerMethodField(
        help_text="The status in words, such as “Needs attention”."
    )

    class Meta:
        model = Kpi
        fields = [
            "id",
            "name",
            "description",
            "unit_label",
            "direction",
            "target",
            "target_low",
            "amber_threshold",
            "red_threshold",
            "cadence",
            "aggregation",
            "owner",
            "unit",
            "visibility",
            "parent",
            "weight",
            "goals",
            "latest_value",
            "latest_at",
            "status",
            "status_label",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "owner": {"help_text": "The owner's membership id."},
            "parent": {"help_text": "The KPI this one rolls up into."},
            "target_low": {"help_text": "Within a range: the low end of the band."},
            "latest_at": {"help_text": "When the latest value was measured."},
        }

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_goals(self, kpi: Kpi) -> list[int]:
        return sorted(link.goal_id for link in kpi.visible_goal_links)

    @extend_schema_field(serializers.ChoiceField(choices=Status.choices))
    def get_status(self, kpi: Kpi) -> str:
        return status_of(kpi, kpi.latest_value).value

    @extend_schema_field(serializers.CharField())
    def get_status_label(self, kpi: Kpi) -> str:
        return status_of(kpi, kpi.latest_value).label


class ForecastSerializer(serializers.Serializer):
    value = serializers.FloatField(help_text="The projected value on ``by``.")
    by = serializers.DateField(
        help_text="The end of the active cycle, or 90 days ahead without one."
    )
    reaches = serializers.BooleanField(help_text="Whether the projection reaches the target.")
    points = serializers.IntegerField(help_text="How many recent measurements the line fits.")
    sentence = serializers.CharField(
        help_text="In words, such as “On course to reach 42 of 50 by 31 Dec 2026”."
    )


class KpiDetailSerializer(KpiSerializer):
    forecast = ForecastSerializer(
        read_only=True,
        allow_null=True,
        help_text="A least-squares line through the latest measurements (at least three), "
        "projected to ``by``; null with fewer points.",
    )

    class Meta(KpiSerializer.Meta):
        fields = [*KpiSerializer.Meta.fields, "forecast"]
        read_only_fields = fields


class MeasurementSerializer(serializers.ModelSerializer):
    value = value_field(read_only=True)
    source = serializers.ChoiceField(choices=Source.choices, read_only=True)

    class Meta:
        model = Measurement
        fields = ["id", "value", "measured_at", "source", "note", "entered_by", "created_at"]
        fields += ["replaces"]
        read_only_fields = fields
        extra_kwargs = {
            "entered_by": {"help_text": "The membership id of who entered it; null for roll-ups."},
            "measured_at": {"help_text": "The time the value describes."},
            "replaces": {"help_text": "The value this one corrected, if any."},
        }


# --- Input --------------------------------------------------------------------


class VisibleKpiField(serializers.PrimaryKeyRelatedField):
    """A KPI id among those the caller can see: another organisation's, a missing and a
    private KPI all get the same answer."""

    default_error_messages = {"does_not_exist": NO_SUCH_KPI, "incorrect_type": NO_SUCH_KPI}

    def __init__(self, **kwargs) -> None:
        super().__init__(pk_field=serializers.IntegerField(), **kwargs)

    def get_queryset(self) -> QuerySet[Kpi]:
        return visible_kpis(self.context["actor"])


class KpiInputSerializer(serializers.Serializer):
    """Create and edit (partial): the service checks thresholds, owner and parent."""

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, allow_blank=True, required=False)
    unit_label = serializers.CharField(
        max_length=20, allow_blank=True, required=False, help_text="Such as %, €, ms."
    )
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    target = value_field(help_text="Within a range: the high end of the band.")
    target_low = value_field(
        required=False, allow_null=True, help_text="Within a range: the low end of the band."
    )
    amber_threshold = value_field()
    red_threshold = value_field()
    cadence = serializers.ChoiceField(choices=Cadence.choices, required=False)
    aggregation = serializers.ChoiceField(choices=Aggregation.choices, required=False)
    owner = InOrgField(
        queryset=Membership.objects.filter(is_active=True),
        required=False,
        help_text="The owner's membership id; defaults to you. Only admins name someone else.",
    )
    unit = InOrgField(queryset=Unit.objects.all(), required=False, allow_null=True)
    visibility = serializers.ChoiceField(choices=KpiVisibility.choices, required=False)
    parent = VisibleKpiField(
        required=False, allow_null=True, help_text="The KPI this one rolls up into."
    )
    weight = weight_field(required=False, help_text="Its share in a weighted-mean parent.")
    goals = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=MAX_GOALS,
        help_text="The ids of the goals it informs (replaces the list when editing).",
    )

    def validate_goals(self, ids: list[int]) -> list[Goal]:
        actor: Actor = self.context["actor"]
        wanted = list(dict.fromkeys(ids))
        storable = [pk for pk in wanted if 0 < pk < 2**63]
        found = {goal.pk: goal for goal in actor.visible_goals().filter(pk__in=storable)}
        if len(found) != len(wanted):
            raise serializers.ValidationError(GOALS_OUT_OF_REACH)
        return [found[pk] for pk in wanted]


@extend_schema_field(
    {
        "type": "string",
        "example": "12.5",
        "description": "A number as a string (a JSON number is accepted too): at most 14 "
        "digits before the point and 4 after.",
    }
)
class MeasurementValueField(serializers.Field):
    """A measurement value, text or number, checked by the service's own rules."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            raise serializers.ValidationError(services.VALUE_REQUIRED)
        try:
            return services.parse_value(data)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None

    def to_representation(self, value):
        return str(value)


class MeasurementInputSerializer(serializers.Serializer):
    value = MeasurementValueField()
    measured_at = serializers.DateTimeField(
        help_text="ISO 8601 with a time zone, such as 2026-11-30T09:00:00Z; not in the future."
    )
    note = serializers.CharField(max_length=500, allow_blank=True, default="")

    def validate_measured_at(self, when):
        try:
            return services.check_measured_at(when)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None


class MeasurementBatchSerializer(serializers.Serializer):
    measurements = serializers.ListField(
        child=MeasurementInputSerializer(),
        min_length=1,
        max_length=services.MAX_BATCH,
        error_messages={
            "min_length": services.BATCH_EMPTY,
            "max_length": services.BATCH_TOO_BIG,
            "empty": services.BATCH_EMPTY,
        },
        help_text=f"1 to {services.MAX_BATCH} values, saved all together or not at all.",
    )

    def rows(self) -> list[services.Row]:
        return [
            services.Row(value=row["value"], measured_at=row["measured_at"], note=row["note"])
            for row in self.validated_data["measurements"]
        ]

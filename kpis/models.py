"""KPIs: time series with a direction, target and thresholds, and their roll-ups.

A ``Measurement`` is a value someone (or a script, or the roll-up job) recorded for
the time it describes. Rows are never edited: a correction is a new row that
``replaces`` the old one, which stops being current (who corrected, when, and the
value before stay in the history). ``PeriodValue`` holds what the periodic job
computed: each KPI's value per day, week and month by its aggregation rule, and a
parent KPI's value from its children's, with the explanation.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone

from core.models import OrgScopedModel, TenantModel
from orgs.models import Membership, Unit


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"
    RANGE = "range", "Within a range"


class Cadence(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


# A period granularity; a KPI has values for its cadence's period and every coarser one.
class Granularity(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"


CADENCE_GRANULARITY = {
    Cadence.DAILY: Granularity.DAY,
    Cadence.WEEKLY: Granularity.WEEK,
    Cadence.MONTHLY: Granularity.MONTH,
}
GRANULARITIES_FROM = {
    Cadence.DAILY: [Granularity.DAY, Granularity.WEEK, Granularity.MONTH],
    Cadence.WEEKLY: [Granularity.WEEK, Granularity.MONTH],
    Cadence.MONTHLY: [Granularity.MONTH],
}


class Aggregation(models.TextChoices):
    SUM = "sum", "Sum"
    MEAN = "mean", "Mean"
    MIN = "min", "Minimum"
    MAX = "max", "Maximum"
    WEIGHTED_MEAN = "weighted_mean", "Weighted mean (by each child KPI's weight)"


class KpiVisibility(models.TextChoices):
    PUBLIC = "public", "Everyone in the organisation"
    PRIVATE = "private", "Owner, their managers and admins"


class Kpi(TenantModel):
    """A measure the organisation tracks over time."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit_label = models.CharField(max_length=20, blank=True)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    # Higher/lower: the target. Range: the band target_low..target.
    target = models.DecimalField(max_digits=18, decimal_places=4)
    target_low = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    # Higher: below amber is amber, below red is red; lower: above. Range: the distance
    # outside the band at which the KPI turns amber, then red.
    amber_threshold = models.DecimalField(max_digits=18, decimal_places=4)
    red_threshold = models.DecimalField(max_digits=18, decimal_places=4)
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    # How measurements combine into a period, and children into this KPI.
    aggregation = models.CharField(
        max_length=20, choices=Aggregation.choices, default=Aggregation.MEAN
    )
    owner = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="kpis")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="kpis"
    )
    visibility = models.CharField(
        max_length=20, choices=KpiVisibility.choices, default=KpiVisibility.PUBLIC
    )
    # A KPI with children is computed from them by ``aggregation`` (the roll-up job).
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    weight = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    goals = models.ManyToManyField("goals.Goal", through="GoalKpi", related_name="kpis", blank=True)
    # Stored by the roll-up job (and on each manual entry): the latest value at the
    # KPI's cadence and when it was measured, for lists without a per-row query.
    latest_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    latest_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["org", "name", "id"], name="kpi_org_name"),
            models.Index(fields=["org", "owner"], name="kpi_org_owner"),
            models.Index(fields=["org", "parent"], name="kpi_org_parent"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="kpi_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def granularity(self) -> str:
        return CADENCE_GRANULARITY[self.cadence]


class GoalKpi(OrgScopedModel):
    """A KPI informs a goal (one KPI may inform several goals)."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="goal_links")
    goal = models.ForeignKey("goals.Goal", on_delete=models.CASCADE, related_name="kpi_links")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kpi", "goal"], name="goalkpi_unique"),
        ]
        indexes = [models.Index(fields=["org", "goal"], name="goalkpi_org_goal")]


class Source(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    CSV = "csv", "CSV upload"
    API = "api", "API"
    ROLLUP = "rollup", "Roll-up"


class Measurement(OrgScopedModel):
    """One value of a KPI for the time it describes. Immutable but for ``is_current``."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    value = models.DecimalField(max_digits=18, decimal_places=4)
    measured_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    entered_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # A correction: the row this one replaces (which then has is_current=False).
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )
    is_current = models.BooleanField(default=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-measured_at", "-pk"]
        indexes = [
            # Latest per KPI and a KPI's history page: current rows by time.
            models.Index(
                fields=["kpi", "-measured_at", "-id"],
                condition=models.Q(is_current=True),
                name="measurement_current",
            ),
            # The roll-up's "what changed since the last run".
            models.Index(fields=["org", "created_at"], name="measurement_org_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id}: {self.value} at {self.measured_at:%Y-%m-%d %H:%M}"


class PeriodValue(OrgScopedModel):
    """A KPI's value for one day, week or month, computed by the roll-up job."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="period_values")
    granularity = models.CharField(max_length=10, choices=Granularity.choices)
    period_start = models.DateField()
    value = models.DecimalField(max_digits=18, decimal_places=4)
    # measured: from the KPI's own measurements; rollup: from its children's values.
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ROLLUP)
    points = models.PositiveIntegerField(default=0)
    # Which children (id, name, value, weight) or how many measurements, and the rule.
    explanation = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "granularity", "period_start"], name="periodvalue_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["org", "granularity", "period_start"], name="pv_org_period")
        ]


class KpiSnapshot(OrgScopedModel):
    """A KPI's latest value as it stood at the end of a day (the daily snapshot job)."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField()
    value = models.DecimalField(max_digits=18, decimal_places=4)

    class Meta:
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["kpi", "day"], name="kpisnapshot_unique")]


class IdempotentRequest(OrgScopedModel):
    """An API write sent with an Idempotency-Key: re-sending the key answers the same."""

    key = models.CharField(max_length=200)
    # Who sent it and to which path: the same key from someone else is a different request.
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "membership", "path", "key"], name="idempotent_request_unique"
            ),
        ]

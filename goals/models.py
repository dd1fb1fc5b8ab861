"""Cycles, goals at every level, key results, check-ins and the goal event log."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from tree_queries.models import TreeNode

from core.models import OrgScopedModel, TenantModel
from orgs.models import Membership, Unit


class Cycle(OrgScopedModel):
    """A goal period such as "2027 Q1"."""

    class Status(models.TextChoices):
        PLANNING = "planning", "Planning"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=60)
    start = models.DateField()
    end = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNING)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="cycle_unique_name"),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="cycle_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def elapsed(self, today: date | None = None) -> float:
        """Share of the cycle elapsed on ``today``, 0..1."""
        return elapsed_share(self.start, self.end, today or timezone.localdate())


def elapsed_share(start: date, end: date, today: date) -> float:
    """Share of the period start..end elapsed on ``today``, 0..1."""
    total = (end - start).days
    return min(max((today - start).days / total, 0.0), 1.0) if total > 0 else 1.0


class Level(models.TextChoices):
    ORGANISATION = "org", "Organisation objective"
    UNIT = "unit", "Unit goal"
    INDIVIDUAL = "individual", "Individual goal"

    @classmethod
    def rank(cls, value: str) -> int:
        """Where a level sorts: organisation objectives, unit goals, individual goals."""
        return _LEVEL_RANK.get(value, len(_LEVEL_RANK))


_LEVEL_RANK = {level: rank for rank, level in enumerate(Level)}


class GoalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# Goals in these states count toward their parent's progress.
COUNTED_STATUSES = (GoalStatus.APPROVED, GoalStatus.COMPLETED)


class Confidence(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Everyone in the organisation"
    PRIVATE = "private", "Owner, their managers and admins"


class Goal(TreeNode, TenantModel):
    """An objective at any level; ``parent`` is the goal it contributes to."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="goals")
    level = models.CharField(max_length=20, choices=Level.choices, default=Level.INDIVIDUAL)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="goals")
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="goals"
    )
    weight = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    due_date = models.DateField()
    confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    manual_progress = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    status = models.CharField(max_length=20, choices=GoalStatus.choices, default=GoalStatus.DRAFT)
    # Stored roll-up, 0..1; kept equal to a recomputation by goals.rollup.
    progress = models.FloatField(default=0.0)
    # What the approver approved (targets, weights, parent), for the re-approval diff.
    approved_snapshot = models.JSONField(null=True, blank=True)
    # An active goal's parent, weight and key results' targets as stored are its approved
    # version: the one that counts. A change the owner makes waits here until approved:
    # {"parent_id": …, "weight": …, "key_results": {kr id: {field: value}}, "removed": [kr ids]}.
    # Key results added since approval wait with KeyResult.awaiting_approval.
    pending_changes = models.JSONField(null=True, blank=True)
    needs_reapproval = models.BooleanField(default=False)
    # The approver's last request for changes, until the goal is approved: its comment,
    # who asked and when, and the goal as it was then (to show what changed since).
    last_changes_request = models.JSONField(null=True, blank=True)
    last_checkin_at = models.DateTimeField(null=True, blank=True)
    # A counted numeric key result's trend (goals.forecasts) misses its target by the
    # cycle's end: stored so every page, filter and the API read the same "at risk".
    forecast_misses = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        Membership, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["org", "cycle", "parent"], name="goal_org_cycle_parent"),
            models.Index(fields=["org", "owner"], name="goal_org_owner"),
            models.Index(fields=["org", "status"], name="goal_org_status"),
            # The API's list by title: a page read in order, its count from the index alone.
            models.Index(
                fields=["org", "title", "id"],
                include=["visibility", "owner", "cycle"],
                name="goal_org_title",
            ),
            # The top of a cycle's tree: a few goals, where the single-column indexes
            # found them by reading every goal of the cycle.
            models.Index(
                fields=["org", "cycle"],
                condition=models.Q(parent__isnull=True),
                name="goal_org_cycle_top",
            ),
            # The few goals a member may not see, whose children top their tree.
            models.Index(
                fields=["org", "cycle"],
                condition=models.Q(visibility="private"),
                name="goal_org_cycle_private",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="goal_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def counts(self) -> bool:
        return self.status in COUNTED_STATUSES

    @property
    def percent(self) -> int:
        return round(self.progress * 100)


class KeyResult(OrgScopedModel):
    class Kind(models.TextChoices):
        NUMBER = "number", "Number"
        PERCENT = "percent", "Percentage"
        CURRENCY = "currency", "Currency"
        BOOLEAN = "boolean", "Done / not done"
        MILESTONES = "milestones", "Milestones"

    class Direction(models.TextChoices):
        INCREASE = "increase", "Increase to"
        DECREASE = "decrease", "Decrease to"
        STAY_ABOVE = "stay_above", "Stay above"
        STAY_BELOW = "stay_below", "Stay below"

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NUMBER)
    direction = models.CharField(
        max_length=20, choices=Direction.choices, default=Direction.INCREASE
    )
    start_value = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))
    target_value = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("1"))
    current_value = models.DecimalField(max_digits=18, decimal_places=4, default=Decimal("0"))
    unit_label = models.CharField(max_length=20, blank=True)
    weight = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    owner = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    progress = models.FloatField(default=0.0)
    # Added to an active goal after approval: counts once the change is approved.
    awaiting_approval = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Driven by a KPI: the roll-up job records the KPI's latest value for its period
    # as a check-in made by the KPI (CheckIn.kpi).
    kpi = models.ForeignKey(
        "kpis.Kpi", null=True, blank=True, on_delete=models.SET_NULL, related_name="key_results"
    )

    class Meta:
        ordering = ["position", "pk"]
        indexes = [models.Index(fields=["org", "goal"], name="kr_org_goal")]
        constraints = [
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="kr_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class Milestone(OrgScopedModel):
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    done = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class CheckIn(OrgScopedModel):
    """A new value for a key result, with confidence and an optional note."""

    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="checkins")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="checkins")
    author = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    value = models.DecimalField(max_digits=18, decimal_places=4)
    confidence = models.CharField(max_length=10, choices=Confidence.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Made by the KPI that drives the key result (the roll-up job), not by a person.
    kpi = models.ForeignKey(
        "kpis.Kpi", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["org", "key_result", "created_at"], name="checkin_org_kr_time")
        ]

    def __str__(self) -> str:
        return f"{self.key_result}: {self.value}"


class EventKind(models.TextChoices):
    """What a goal event records; the only kinds ``goals.services`` writes."""

    CREATED = "created", "Created"
    CASCADED = "cascaded", "Cascaded"
    EDITED = "edited", "Edited"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    KEY_RESULT_ADDED = "key_result_added", "Key result added"
    KEY_RESULT_EDITED = "key_result_edited", "Key result edited"
    KEY_RESULT_REMOVED = "key_result_removed", "Key result removed"
    CHECKED_IN = "checked_in", "Checked in"
    MILESTONE_DONE = "milestone_done", "Milestone done"
    MILESTONE_REOPENED = "milestone_reopened", "Milestone reopened"


class GoalEvent(OrgScopedModel):
    """Immutable record of a write: who, when, what, before and after."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["org", "goal", "created_at"], name="event_org_goal_time")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.goal_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Goal events are immutable")
        super().save(*args, **kwargs)


class ProgressSnapshot(OrgScopedModel):
    """A goal's progress and status at the end of a day (the daily snapshot job)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="snapshots")
    day = models.DateField()
    progress = models.FloatField()
    status = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "day"], name="progresssnapshot_unique")
        ]
        indexes = [models.Index(fields=["org", "day"], name="snapshot_org_day")]

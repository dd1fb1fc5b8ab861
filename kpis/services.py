"""Every write to KPIs and measurements: pages, the API, CSV uploads and the demo.

Each service validates everything first and raises ``ValidationError`` with field
errors (a dict) before writing anything, so bad input leaves nothing half-written.
Callers run them inside the request's tenant transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from goals.access import NOT_ALLOWED, Actor
from goals.models import Goal
from kpis import access
from kpis.models import (
    Aggregation,
    Cadence,
    Direction,
    GoalKpi,
    Kpi,
    KpiVisibility,
    Measurement,
    Source,
)
from orgs.models import Membership, Unit

# Measurement values fit DecimalField(max_digits=18, decimal_places=4).
MAX_ABS_VALUE = Decimal("99999999999999")
FUTURE_SLACK = timedelta(days=1)
MAX_BATCH = 1000

COMPUTED_KPI = "This KPI is computed from its child KPIs; enter values on the children."
VALUE_REQUIRED = "Enter a number, for example 12.5."
VALUE_TOO_BIG = "Enter a number between -99,999,999,999,999 and 99,999,999,999,999."
VALUE_PRECISION = "Use at most 4 decimal places."
WHEN_REQUIRED = "Enter the date and time the value describes."
WHEN_TOO_EARLY = "Enter a date from 2000 on."
WHEN_FUTURE = "A measurement cannot describe the future."
BATCH_EMPTY = "Send at least one measurement."
BATCH_TOO_BIG = f"Send at most {MAX_BATCH} measurements at a time."
ALREADY_CORRECTED = "This value has already been corrected; correct the newest one."


def parse_value(raw) -> Decimal:
    """A measurement value from text or a number; ValidationError with a clear message."""
    if isinstance(raw, bool) or raw is None:
        raise ValidationError(VALUE_REQUIRED)
    text = str(raw).strip().replace(",", "") if isinstance(raw, str) else raw
    try:
        value = Decimal(str(text)) if not isinstance(text, Decimal) else text
    except (InvalidOperation, ValueError):
        raise ValidationError(VALUE_REQUIRED) from None
    if not value.is_finite():
        raise ValidationError(VALUE_REQUIRED)
    if abs(value) > MAX_ABS_VALUE:
        raise ValidationError(VALUE_TOO_BIG)
    if value.as_tuple().exponent < -4 and value != value.quantize(Decimal("0.0001")):
        raise ValidationError(VALUE_PRECISION)
    return value.quantize(Decimal("0.0001"))


def check_measured_at(when: datetime | None, *, now: datetime | None = None) -> datetime:
    if when is None:
        raise ValidationError(WHEN_REQUIRED)
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    now = now or timezone.now()
    if when < datetime(2000, 1, 1, tzinfo=when.tzinfo):
        raise ValidationError(WHEN_TOO_EARLY)
    if when > now + FUTURE_SLACK:
        raise ValidationError(WHEN_FUTURE)
    return when


@dataclass(frozen=True)
class Row:
    value: object
    measured_at: datetime | None
    note: str = ""


def is_computed(kpi: Kpi) -> bool:
    return Kpi.objects.filter(org=kpi.org_id, parent=kpi.pk).exists()


def validate_rows(rows: Sequence[Row]) -> list[tuple[Decimal, datetime, str]]:
    """Check every row; ValidationError {"measurements": ["Measurement 2: message", ...]}
    (numbered from 1, one message per bad field)."""
    if not rows:
        raise ValidationError({"measurements": BATCH_EMPTY})
    if len(rows) > MAX_BATCH:
        raise ValidationError({"measurements": BATCH_TOO_BIG})
    clean, errors = [], {}
    now = timezone.now()
    for index, row in enumerate(rows):
        row_errors = {}
        try:
            value = parse_value(row.value)
        except ValidationError as exc:
            row_errors["value"] = exc.messages[0]
        try:
            when = check_measured_at(row.measured_at, now=now)
        except ValidationError as exc:
            row_errors["measured_at"] = exc.messages[0]
        if len(row.note) > 500:
            row_errors["note"] = "Keep the note under 500 characters."
        if row_errors:
            errors[index] = row_errors
        else:
            clean.append((value, when, row.note))
    if errors:
        raise ValidationError(
            {
                "measurements": [
                    f"Measurement {index + 1}: {message}"
                    for index, row_errors in errors.items()
                    for message in row_errors.values()
                ]
            }
        )
    return clean


@transaction.atomic
def record_measurements(
    *, actor: Actor, kpi: Kpi, rows: Sequence[Row], source: str = Source.MANUAL
) -> list[Measurement]:
    """Add values to a KPI's series, all or nothing."""
    if not access.can_record(actor, kpi):
        raise PermissionDenied(NOT_ALLOWED)
    if is_computed(kpi):
        raise ValidationError({"measurements": COMPUTED_KPI})
    clean = validate_rows(rows)
    created = Measurement.objects.bulk_create(
        [
            Measurement(
                org_id=kpi.org_id,
                kpi=kpi,
                value=value,
                measured_at=when,
                source=source,
                entered_by=actor.member,
                note=note,
            )
            for value, when, note in clean
        ]
    )
    refresh_latest(kpi)
    return created


@transaction.atomic
def correct_measurement(
    *, actor: Actor, measurement: Measurement, value, note: str = ""
) -> Measurement:
    """Replace a value: a new current row; the old one stays in the history."""
    kpi = measurement.kpi
    if not access.can_record(actor, kpi):
        raise PermissionDenied(NOT_ALLOWED)
    old = Measurement.objects.select_for_update().get(pk=measurement.pk, org=kpi.org_id)
    if not old.is_current:
        raise ValidationError({"value": ALREADY_CORRECTED})
    try:
        new_value = parse_value(value)
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages[0]}) from None
    if len(note) > 500:
        raise ValidationError({"note": "Keep the note under 500 characters."})
    old.is_current = False
    old.save(update_fields=["is_current"])
    new = Measurement.objects.create(
        org_id=kpi.org_id,
        kpi=kpi,
        value=new_value,
        measured_at=old.measured_at,
        source=Source.MANUAL,
        entered_by=actor.member,
        replaces=old,
        note=note,
    )
    refresh_latest(kpi)
    return new


def refresh_latest(kpi: Kpi) -> None:
    """Store the KPI's newest current value on the KPI (for lists)."""
    latest = (
        Measurement.objects.filter(org=kpi.org_id, kpi=kpi, is_current=True)
        .order_by("-measured_at", "-pk")
        .values_list("value", "measured_at")
        .first()
    )
    kpi.latest_value, kpi.latest_at = latest if latest else (None, None)
    Kpi.objects.filter(pk=kpi.pk, org=kpi.org_id).update(
        latest_value=kpi.latest_value, latest_at=kpi.latest_at
    )


# --- KPIs ---------------------------------------------------------------------------

KPI_FIELDS = (
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
)


def kpi_errors(kpi: Kpi) -> dict[str, str]:
    """Field errors of a KPI as it would be saved (forms and the API show them)."""
    errors: dict[str, str] = {}
    if not (kpi.name or "").strip():
        errors["name"] = "Name the KPI."
    if kpi.direction not in Direction.values:
        errors["direction"] = "Choose higher is better, lower is better or within a range."
    if kpi.cadence not in Cadence.values:
        errors["cadence"] = "Choose daily, weekly or monthly."
    if kpi.aggregation not in Aggregation.values:
        errors["aggregation"] = "Choose sum, mean, minimum, maximum or weighted mean."
    if kpi.visibility not in KpiVisibility.values:
        errors["visibility"] = "Choose who may see the KPI."
    for name in ("target", "amber_threshold", "red_threshold"):
        if getattr(kpi, name) is None:
            errors[name] = "Enter a number."
    if kpi.weight is None or kpi.weight <= 0:
        errors["weight"] = "The weight must be more than 0."
    if errors:
        return errors
    target, amber, red = kpi.target, kpi.amber_threshold, kpi.red_threshold
    if kpi.direction == Direction.HIGHER:
        if not red <= amber <= target:
            errors["amber_threshold"] = (
                "Higher is better: the red threshold must be at most the amber one, "
                "and the amber one at most the target."
            )
    elif kpi.direction == Direction.LOWER:
        if not target <= amber <= red:
            errors["amber_threshold"] = (
                "Lower is better: the target must be at most the amber threshold, "
                "and the amber one at most the red one."
            )
    else:
        if kpi.target_low is None:
            errors["target_low"] = "Within a range: enter the low end of the range."
        elif kpi.target_low > target:
            errors["target_low"] = "The low end of the range must be at most the target."
        if not Decimal(0) <= amber <= red:
            errors["amber_threshold"] = (
                "Within a range the thresholds are distances outside the range: "
                "0 or more, the amber one at most the red one."
            )
    return errors


def _check_relations(actor: Actor, kpi: Kpi) -> dict[str, str]:
    errors = {}
    org_id = actor.member.org_id
    owner = kpi.owner if kpi.owner_id else None
    if owner is None or owner.org_id != org_id or not owner.is_active:
        errors["owner"] = "Choose an active person in this organisation."
    elif not kpi.pk and not access.can_create(actor, owner=owner):
        errors["owner"] = "You may only create KPIs that you own."
    if kpi.unit_id is not None and not Unit.objects.filter(org=org_id, pk=kpi.unit_id).exists():
        errors["unit"] = "Choose a unit of this organisation."
    if kpi.parent_id is not None:
        parent = Kpi.objects.filter(org=org_id, pk=kpi.parent_id).first()
        if parent is None:
            errors["parent"] = "Choose a KPI of this organisation."
        elif kpi.pk and _would_loop(kpi, parent):
            errors["parent"] = "A KPI cannot roll up into itself or one of its children."
        elif (
            Measurement.objects.filter(
                org=org_id, kpi=parent, source__in=[Source.MANUAL, Source.CSV, Source.API]
            ).exists()
            and not Kpi.objects.filter(org=org_id, parent=parent).exists()
        ):
            errors["parent"] = (
                f"“{parent.name}” has values entered by hand; a KPI computed from child "
                "KPIs cannot have those. Choose another parent."
            )
    return errors


def _would_loop(kpi: Kpi, parent: Kpi) -> bool:
    from core import hierarchy

    below = hierarchy.subtree_ids(Kpi, kpi.org_id, [kpi.pk], max_depth=1000)
    return parent.pk in below


def _apply(kpi: Kpi, fields: dict) -> None:
    for name, value in fields.items():
        if name not in KPI_FIELDS:
            raise TypeError(f"Unknown KPI field {name}")
        setattr(kpi, name, value)


@transaction.atomic
def create_kpi(*, actor: Actor, goals: Iterable[Goal] = (), **fields) -> Kpi:
    kpi = Kpi(org_id=actor.member.org_id, created_by=actor.member)
    fields.setdefault("owner", actor.member)
    _apply(kpi, fields)
    if not access.can_create(actor, owner=kpi.owner if kpi.owner_id else None):
        raise PermissionDenied(NOT_ALLOWED)
    errors = kpi_errors(kpi) | _check_relations(actor, kpi)
    goals = list(goals)
    errors |= _goal_errors(actor, goals)
    if errors:
        raise ValidationError(errors)
    kpi.save()
    _link_goals(kpi, goals)
    return kpi


@transaction.atomic
def update_kpi(*, actor: Actor, kpi: Kpi, goals: Iterable[Goal] | None = None, **fields) -> Kpi:
    if not access.can_edit(actor, kpi):
        raise PermissionDenied(NOT_ALLOWED)
    _apply(kpi, fields)
    errors = kpi_errors(kpi) | _check_relations(actor, kpi)
    goals = None if goals is None else list(goals)
    if goals is not None:
        errors |= _goal_errors(actor, goals)
    if errors:
        raise ValidationError(errors)
    kpi.save()
    if goals is not None:
        GoalKpi.objects.filter(org=kpi.org_id, kpi=kpi).exclude(
            goal__in=[g.pk for g in goals]
        ).delete()
        _link_goals(kpi, goals)
    return kpi


def _goal_errors(actor: Actor, goals: list[Goal]) -> dict[str, str]:
    if any(g.org_id != actor.member.org_id or not actor.can_view(g) for g in goals):
        return {"goals": "Choose goals of this organisation that you can see."}
    return {}


def _link_goals(kpi: Kpi, goals: list[Goal]) -> None:
    GoalKpi.objects.bulk_create(
        [GoalKpi(org_id=kpi.org_id, kpi=kpi, goal=goal) for goal in goals],
        ignore_conflicts=True,
    )


def owner_choices(actor: Actor):
    """People a KPI may be given to: anyone active for admins, otherwise oneself."""
    qs = Membership.objects.filter(org=actor.member.org_id, is_active=True).select_related("user")
    return qs if actor.is_admin else qs.filter(pk=actor.member.pk)

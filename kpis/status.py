"""A KPI's status from its value: on track, needs attention (amber) or off track (red),
in words as well as colour (the same words as goals use).

Higher is better: amber below the amber threshold, red below the red threshold.
Lower is better: amber above the amber threshold, red above the red threshold.
Within a range (target_low..target): the thresholds are distances outside the band;
amber beyond the amber threshold, red beyond the red threshold.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from kpis.models import Direction


class Status(models.TextChoices):
    ON_TARGET = "on_target", "On track"
    AMBER = "amber", "Needs attention"
    RED = "red", "Off track"
    NO_DATA = "no_data", "No data yet"


def distance_outside(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """How far value lies outside low..high (0 inside)."""
    if value < low:
        return low - value
    if value > high:
        return value - high
    return Decimal(0)


def status_of(kpi, value: Decimal | float | None) -> Status:
    if value is None:
        return Status.NO_DATA
    value = Decimal(str(value))
    amber, red = kpi.amber_threshold, kpi.red_threshold
    if kpi.direction == Direction.HIGHER:
        worse_than = lambda limit: value < limit  # noqa: E731
    elif kpi.direction == Direction.LOWER:
        worse_than = lambda limit: value > limit  # noqa: E731
    else:
        low = kpi.target_low if kpi.target_low is not None else kpi.target
        gap = distance_outside(value, low, kpi.target)
        worse_than = lambda limit: gap > limit  # noqa: E731
    if worse_than(red):
        return Status.RED
    if worse_than(amber):
        return Status.AMBER
    return Status.ON_TARGET


def meets_target(kpi, value: Decimal | float) -> bool:
    """Whether ``value`` reaches the KPI's target (not only its thresholds)."""
    value = Decimal(str(value))
    if kpi.direction == Direction.HIGHER:
        return value >= kpi.target
    if kpi.direction == Direction.LOWER:
        return value <= kpi.target
    low = kpi.target_low if kpi.target_low is not None else kpi.target
    return low <= value <= kpi.target

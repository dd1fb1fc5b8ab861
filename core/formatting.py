"""Numbers and dates as the pages show them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.formats import date_format


def number(value: Any) -> str:
    """A stored number as people write it: 74.5000 -> "74.5", 1200 -> "1,200", None -> "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        value = round(value, 4)  # stored numbers have four decimal places
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{d.normalize():,f}"
    return "0" if text == "-0" else text


def percent(share: float) -> str:
    """0.5 -> "50%", 1/3 -> "33.3%"."""
    value = share * 100
    return f"{round(value)}%" if abs(value - round(value)) < 0.05 else f"{value:.1f}%"


def day(value: date) -> str:
    """16 Jan 2027: the app's date format (config/formats)."""
    return date_format(value)

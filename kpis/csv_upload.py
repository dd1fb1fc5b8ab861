"""CSV upload of a KPI's measurements: read the file, check every row, preview, save.

Like the people import (orgs/csv_import.py), the preview carries the file's text
back in the confirm form and confirming checks it all again: what is saved is
exactly what was previewed, and all rows are saved or none
(kpis.services.record_measurements). Row numbers are those a spreadsheet shows:
the header is row 1. Times without a zone are in the organisation's timezone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.csv_text import read_table
from kpis import services

MAX_FILE_BYTES = 200_000
MAX_ROWS = services.MAX_BATCH
COLUMNS = ("measured_at", "value", "note")

NOT_CSV = "This file is not CSV text. Save the spreadsheet as “CSV UTF-8” and upload that file."
FILE_TOO_LARGE = "The file is larger than 200 KB: split it into several files."
TOO_MANY_ROWS = f"The file has more than {MAX_ROWS:,} rows: split it into several files."
MISSING_COLUMNS = (
    "The first row must name the columns: measured_at and value (and optionally note)."
)
NO_ROWS = "The file has no measurements below its first row."
BAD_WHEN = "“{text}” is not a date or time: write it as 2026-11-30 or 2026-11-30 09:00."
HAS_ERRORS = "Nothing was saved: some rows have errors. Fix the file and upload it again."


@dataclass(frozen=True)
class RowError:
    row: int
    message: str


@dataclass
class ParsedRow:
    row: int
    value: Decimal
    measured_at: datetime
    note: str


@dataclass
class Plan:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def can_save(self) -> bool:
        return bool(self.rows) and not self.errors

    def service_rows(self) -> list[services.Row]:
        return [services.Row(r.value, r.measured_at, r.note) for r in self.rows]


def read_upload(upload: UploadedFile) -> str:
    """The uploaded file as text: UTF-8 (a BOM is fine), nothing binary, not too big."""
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise ValidationError(FILE_TOO_LARGE)
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(FILE_TOO_LARGE)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(NOT_CSV) from None


def _column(raw: str) -> str:
    return re.sub(r"[\s-]+", "_", raw.strip().lower())


def parse_when(text: str, tz: ZoneInfo) -> datetime | None:
    """A date or date-time; a naive one is in ``tz``. None when it is neither."""
    text = text.strip()
    try:
        when = parse_datetime(text.replace(" ", "T", 1)) if len(text) > 10 else None
        if when is None:
            day = parse_date(text)
            when = datetime.combine(day, time()) if day else None
    except (ValueError, OverflowError):
        return None
    if when is not None and timezone.is_naive(when):
        when = timezone.make_aware(when, tz)
    return when


def plan(text: str, *, tz: ZoneInfo) -> Plan:
    """Every row checked; ValidationError for a file that cannot be read at all."""
    raw_header, numbered = read_table(text, not_csv=NOT_CSV, no_header=MISSING_COLUMNS)
    header = [_column(name) for name in raw_header]
    if "measured_at" not in header or "value" not in header:
        raise ValidationError(MISSING_COLUMNS)
    positions = {name: header.index(name) for name in COLUMNS if name in header}
    if not numbered:
        raise ValidationError(NO_ROWS)
    if len(numbered) > MAX_ROWS:
        raise ValidationError(TOO_MANY_ROWS)
    result = Plan()
    now = timezone.now()
    for number, record in numbered:
        cells = {n: record[i].strip() if i < len(record) else "" for n, i in positions.items()}
        messages = []
        try:
            value = services.parse_value(cells["value"])
        except ValidationError as exc:
            messages.append(f"Value: {exc.messages[0]}")
        raw_when = cells["measured_at"]
        when = parse_when(raw_when, tz) if raw_when else None
        if raw_when and when is None:
            messages.append(BAD_WHEN.format(text=raw_when[:40]))
        else:
            try:
                when = services.check_measured_at(when, now=now)
            except ValidationError as exc:
                messages.append(f"Measured at: {exc.messages[0]}")
        note = cells.get("note", "")
        if len(note) > 500:
            messages.append("Note: keep the note under 500 characters.")
        if messages:
            result.errors.extend(RowError(number, m) for m in messages)
        else:
            result.rows.append(ParsedRow(number, value, when, note))
    return result

"""Reading an uploaded CSV's text the way spreadsheets save it (people import, KPI values).

A byte-order mark is dropped, the delimiter is the comma, semicolon or tab the
first line uses most, blank lines before the header and blank rows are skipped,
and rows are numbered as a spreadsheet shows them (the header's row first).
"""

from __future__ import annotations

import csv
import io

from django.core.exceptions import ValidationError


def read_table(
    text: str, *, not_csv: str, no_header: str
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header row's cells and every non-blank row after it as (row number, cells).

    ``not_csv``: the message for text that is not CSV (NUL bytes, bad quoting);
    ``no_header``: the message for a file with no row at all.
    """
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise ValidationError(not_csv)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    # Spreadsheets in some locales save with semicolons or tabs.
    delimiter = max(",;\t", key=first_line.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise ValidationError(not_csv) from None
    header_index = next((i for i, record in enumerate(records) if any(record)), None)
    if header_index is None:
        raise ValidationError(no_header)
    rows = [
        (number, record)
        for number, record in enumerate(records[header_index + 1 :], start=header_index + 2)
        if any(cell.strip() for cell in record)
    ]
    return records[header_index], rows

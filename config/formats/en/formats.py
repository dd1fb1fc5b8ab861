"""Cairn's one date format, for every template (``{{ day|date }}``) and every message
(``django.utils.formats.date_format(day)``): 31 Dec 2026. FORMAT_MODULE_PATH points
here; what is not set here (input formats) comes from Django's English formats."""

DATE_FORMAT = "j M Y"  # 31 Dec 2026
DATETIME_FORMAT = "j M Y, H:i"  # 31 Dec 2026, 14:05
MONTH_DAY_FORMAT = "j M"  # 31 Dec, where the year goes without saying
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
YEAR_MONTH_FORMAT = "F Y"  # December 2026, a month's value (KPIs)

"""The rules KPI writes are checked against before anything is saved.

Values (parse_value), the time a value describes (check_measured_at), a batch of
rows (validate_rows) and a KPI's thresholds per direction (kpi_errors): pure
functions on plain values and unsaved KPIs, so no database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from core.tenancy import tenant_context
from goals.access import Actor
from kpis import services
from kpis.models import Direction, Kpi, Measurement
from kpis.services import (
    BATCH_EMPTY,
    BATCH_TOO_BIG,
    MAX_BATCH,
    VALUE_PRECISION,
    VALUE_REQUIRED,
    VALUE_TOO_BIG,
    WHEN_FUTURE,
    WHEN_REQUIRED,
    WHEN_TOO_EARLY,
    Row,
    check_measured_at,
    kpi_errors,
    parse_value,
    validate_rows,
)


def message(exc: pytest.ExceptionInfo) -> str:
    return exc.value.messages[0]


# --- values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("12.5", D("12.5000")),
        (" 12.5 ", D("12.5")),
        ("1,234.5", D("1234.5")),
        ("-3", D("-3")),
        (7, D(7)),
        (0.1, D("0.1")),
        (D("2.25"), D("2.25")),
        ("1.2345", D("1.2345")),
        ("1.50000", D("1.5")),  # trailing zeros are not extra precision
        ("99999999999999", D("99999999999999")),  # the largest value that fits
        ("-99999999999999", D("-99999999999999")),
    ],
)
def test_values_people_type_are_read_as_numbers(raw, value):
    parsed = parse_value(raw)
    assert parsed == value
    assert parsed.as_tuple().exponent == -4  # stored with four decimal places


@pytest.mark.parametrize(
    "raw", ["", "  ", "twelve", "1.2.3", None, True, False, [], "NaN", "Infinity", "-inf"]
)
def test_anything_but_a_finite_number_asks_for_a_number(raw):
    with pytest.raises(ValidationError) as exc:
        parse_value(raw)
    assert message(exc) == VALUE_REQUIRED == "Enter a number, for example 12.5."


@pytest.mark.parametrize(
    "raw", ["100000000000000", "-100000000000000", "99999999999999.0001", 10**30]
)
def test_numbers_too_big_to_store_are_refused(raw):
    with pytest.raises(ValidationError) as exc:
        parse_value(raw)
    assert message(exc) == VALUE_TOO_BIG


@pytest.mark.parametrize("raw", ["1.00001", "0.12345", D("3.141592")])
def test_more_than_four_decimal_places_are_refused_not_rounded(raw):
    with pytest.raises(ValidationError) as exc:
        parse_value(raw)
    assert message(exc) == VALUE_PRECISION


# --- when a value was measured ------------------------------------------------------

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_a_time_is_required():
    with pytest.raises(ValidationError) as exc:
        check_measured_at(None, now=NOW)
    assert message(exc) == WHEN_REQUIRED


def test_values_from_2000_on_are_accepted():
    first = datetime(2000, 1, 1, tzinfo=UTC)
    assert check_measured_at(first, now=NOW) == first
    with pytest.raises(ValidationError) as exc:
        check_measured_at(first - timedelta(seconds=1), now=NOW)
    assert message(exc) == WHEN_TOO_EARLY


def test_up_to_a_day_ahead_is_allowed_for_time_zones_but_not_the_future_beyond():
    assert check_measured_at(NOW + timedelta(days=1), now=NOW) == NOW + timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        check_measured_at(NOW + timedelta(days=1, seconds=1), now=NOW)
    assert message(exc) == WHEN_FUTURE


def test_the_future_is_judged_from_the_given_now():
    then = datetime(2010, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        check_measured_at(datetime(2015, 1, 1, tzinfo=UTC), now=then)


def test_without_a_now_it_is_judged_from_the_clock():
    tomorrow_and_more = datetime.now(UTC) + timedelta(days=2)
    with pytest.raises(ValidationError):
        check_measured_at(tomorrow_and_more)
    assert check_measured_at(datetime(2020, 5, 1, tzinfo=UTC)).year == 2020


def test_a_time_without_a_zone_is_read_in_the_sites_zone():
    when = check_measured_at(datetime(2026, 3, 1, 9, 30), now=NOW)
    assert when.tzinfo is not None
    assert when == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)  # TIME_ZONE is UTC


# --- a batch of rows ----------------------------------------------------------------

WHEN = datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_a_batch_returns_clean_values_in_order():
    rows = [Row("12.5", WHEN, "first"), Row(3, WHEN + timedelta(days=1))]
    assert validate_rows(rows) == [(D("12.5"), WHEN, "first"), (D(3), WHEN + timedelta(days=1), "")]


def test_an_empty_batch_is_refused():
    with pytest.raises(ValidationError) as exc:
        validate_rows([])
    assert exc.value.message_dict == {"measurements": [BATCH_EMPTY]}


def test_at_most_a_thousand_rows_at_a_time():
    assert MAX_BATCH == 1000
    assert len(validate_rows([Row(i, WHEN) for i in range(MAX_BATCH)])) == 1000
    with pytest.raises(ValidationError) as exc:
        validate_rows([Row(i, WHEN) for i in range(MAX_BATCH + 1)])
    assert exc.value.message_dict == {"measurements": [BATCH_TOO_BIG]}
    assert BATCH_TOO_BIG == "Send at most 1000 measurements at a time."


def test_every_bad_row_is_reported_by_its_index_and_field():
    rows = [
        Row("1", WHEN),
        Row("x", None),
        Row("2", WHEN, "n" * 501),
        Row("3", WHEN, "n" * 500),
        Row("1e20", datetime(1999, 1, 1, tzinfo=UTC)),
    ]
    with pytest.raises(ValidationError) as exc:
        validate_rows(rows)
    # Django cannot nest a dict of rows in a field's errors: each bad field is one
    # message naming its row, counted from 1 as people count.
    assert exc.value.message_dict == {
        "measurements": [
            f"Measurement 2: {VALUE_REQUIRED}",
            f"Measurement 2: {WHEN_REQUIRED}",
            "Measurement 3: Keep the note under 500 characters.",
            f"Measurement 5: {VALUE_TOO_BIG}",
            f"Measurement 5: {WHEN_TOO_EARLY}",
        ]
    }


def test_a_note_of_500_characters_is_kept():
    ((_, _, note),) = validate_rows([Row("1", WHEN, "n" * 500)])
    assert len(note) == 500


# --- a KPI's settings ---------------------------------------------------------------


def kpi(direction=Direction.HIGHER, target=100, amber=80, red=50, target_low=None, **fields):
    def dec(x):
        return None if x is None else D(str(x))

    return Kpi(
        name=fields.pop("name", "Sales"),
        direction=direction,
        target=dec(target),
        amber_threshold=dec(amber),
        red_threshold=dec(red),
        target_low=dec(target_low),
        **fields,
    )


def test_a_well_formed_kpi_has_no_errors():
    assert kpi_errors(kpi()) == {}
    assert kpi_errors(kpi(Direction.LOWER, 2, 5, 10)) == {}
    assert kpi_errors(kpi(Direction.RANGE, 22, 1, 3, target_low=19)) == {}


def test_every_missing_or_unknown_setting_is_named():
    bad = kpi(
        name="  ",
        target=None,
        amber=None,
        red=None,
        direction="sideways",
        cadence="hourly",
        aggregation="median",
        visibility="secret",
        weight=None,
    )
    assert kpi_errors(bad) == {
        "name": "Name the KPI.",
        "direction": "Choose higher is better, lower is better or within a range.",
        "cadence": "Choose daily, weekly or monthly.",
        "aggregation": "Choose sum, mean, minimum, maximum or weighted mean.",
        "visibility": "Choose who may see the KPI.",
        "target": "Enter a number.",
        "amber_threshold": "Enter a number.",
        "red_threshold": "Enter a number.",
        "weight": "The weight must be more than 0.",
    }


def test_a_name_of_none_is_missing_too():
    assert kpi_errors(kpi(name=None)) == {"name": "Name the KPI."}


@pytest.mark.parametrize(
    ("weight", "ok"), [("0", False), ("-1", False), ("0.01", True), ("1", True), ("2.5", True)]
)
def test_the_weight_must_be_more_than_zero(weight, ok):
    errors = kpi_errors(kpi(weight=D(weight)))
    assert errors == ({} if ok else {"weight": "The weight must be more than 0."})


def test_the_ordering_is_checked_only_once_every_number_is_there():
    assert kpi_errors(kpi(amber=None, red=1000)) == {"amber_threshold": "Enter a number."}


HIGHER_ORDER = (
    "Higher is better: the red threshold must be at most the amber one, "
    "and the amber one at most the target."
)
LOWER_ORDER = (
    "Lower is better: the target must be at most the amber threshold, "
    "and the amber one at most the red one."
)
RANGE_ORDER = (
    "Within a range the thresholds are distances outside the range: "
    "0 or more, the amber one at most the red one."
)


@pytest.mark.parametrize(
    ("target", "amber", "red", "ok"),
    [
        (100, 80, 50, True),
        (100, 50, 50, True),  # red may equal amber
        (100, 100, 50, True),  # amber may equal the target
        (100, 100, 100, True),
        (100, 80, 81, False),  # red above amber
        (100, 101, 50, False),  # amber above the target
        (100, 40, 50, False),
    ],
)
def test_higher_is_better_needs_red_at_most_amber_at_most_target(target, amber, red, ok):
    errors = kpi_errors(kpi(Direction.HIGHER, target, amber, red))
    assert errors == ({} if ok else {"amber_threshold": HIGHER_ORDER})


@pytest.mark.parametrize(
    ("target", "amber", "red", "ok"),
    [
        (2, 5, 10, True),
        (2, 2, 10, True),  # amber may equal the target
        (2, 10, 10, True),  # red may equal amber
        (2, 1, 10, False),  # amber better than the target
        (2, 11, 10, False),  # amber worse than red
        (100, 80, 50, False),  # higher-is-better numbers
    ],
)
def test_lower_is_better_needs_target_at_most_amber_at_most_red(target, amber, red, ok):
    errors = kpi_errors(kpi(Direction.LOWER, target, amber, red))
    assert errors == ({} if ok else {"amber_threshold": LOWER_ORDER})


@pytest.mark.parametrize(
    ("low", "amber", "red", "errors"),
    [
        (19, 1, 3, {}),
        (22, 1, 3, {}),  # a band of one point
        (19, 0, 0, {}),  # zero distances: any step outside is red
        (19, 0, 3, {}),
        (19, 3, 3, {}),
        (23, 1, 3, {"target_low": "The low end of the range must be at most the target."}),
        (None, 1, 3, {"target_low": "Within a range: enter the low end of the range."}),
        (19, 4, 3, {"amber_threshold": RANGE_ORDER}),
        (19, -1, 3, {"amber_threshold": RANGE_ORDER}),
        ("19", "-0.5", "-0.1", {"amber_threshold": RANGE_ORDER}),
    ],
)
def test_within_a_range_needs_a_low_end_and_distances_from_zero(low, amber, red, errors):
    assert kpi_errors(kpi(Direction.RANGE, 22, amber, red, target_low=low)) == errors


def test_a_computed_kpi_refuses_values_entered_by_hand_before_checking_them(cast, make_kpi):

    with tenant_context(cast.org.pk):
        parent = make_kpi("Revenue")
        make_kpi("Revenue north", parent=parent)
        leaf = make_kpi("Revenue south")
        assert services.is_computed(parent) is True
        assert services.is_computed(leaf) is False
        with pytest.raises(ValidationError) as exc:
            services.record_measurements(actor=Actor(cast.admin), kpi=parent, rows=[Row("1", WHEN)])
        assert exc.value.message_dict == {"measurements": [services.COMPUTED_KPI]}
        assert not Measurement.objects.filter(kpi=parent).exists()

"""The rules KPI writes are checked against before anything is saved.

Values (parse_value), the time a value describes (check_measured_at), a batch of
rows (validate_rows) and a KPI's thresholds per direction (kpi_errors): pure
functions on plain values and unsaved KPIs, so no database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

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


# --- writes: who may, what is kept ----------------------------------------------------


def test_recording_values_stores_them_and_the_newest_becomes_the_latest(cast, make_kpi):
    with tenant_context(cast.org.pk):
        sales = make_kpi("Sales")
        rows = [
            Row("3", WHEN),
            Row("7.5", WHEN + timedelta(days=2)),
            Row("5", WHEN + timedelta(days=1)),
        ]
        created = services.record_measurements(actor=Actor(cast.admin), kpi=sales, rows=rows)
        assert [m.value for m in created] == [D(3), D("7.5"), D(5)]
        assert {m.entered_by_id for m in created} == {cast.admin.pk}
        sales.refresh_from_db()
        assert (sales.latest_value, sales.latest_at) == (D("7.5"), WHEN + timedelta(days=2))


def test_someone_who_may_not_edit_a_kpi_may_not_record_or_correct_its_values(cast, make_kpi):
    with tenant_context(cast.org.pk):
        sales = make_kpi("Sales")  # owned by the admin
        (value,) = services.record_measurements(
            actor=Actor(cast.admin), kpi=sales, rows=[Row("3", WHEN)]
        )
        with pytest.raises(PermissionDenied):
            services.record_measurements(actor=Actor(cast.member), kpi=sales, rows=[Row("4", WHEN)])
        with pytest.raises(PermissionDenied):
            services.correct_measurement(actor=Actor(cast.member), measurement=value, value="4")
        assert list(Measurement.objects.filter(kpi=sales).values_list("value", flat=True)) == [D(3)]


def test_a_correction_is_a_new_current_value_and_the_old_one_stays_in_history(cast, make_kpi):
    with tenant_context(cast.org.pk):
        sales = make_kpi("Sales")
        (old,) = services.record_measurements(
            actor=Actor(cast.admin), kpi=sales, rows=[Row("3", WHEN)]
        )
        new = services.correct_measurement(
            actor=Actor(cast.admin), measurement=old, value="30", note="typo"
        )
        old.refresh_from_db()
        assert (old.is_current, new.is_current) == (False, True)
        assert (new.value, new.measured_at, new.replaces_id, new.note) == (
            D(30),
            WHEN,
            old.pk,
            "typo",
        )
        sales.refresh_from_db()
        assert sales.latest_value == D(30)

        # Correcting the old row again is refused: the newest is the one to correct.
        with pytest.raises(ValidationError) as exc:
            services.correct_measurement(actor=Actor(cast.admin), measurement=old, value="31")
        assert exc.value.message_dict == {"value": [services.ALREADY_CORRECTED]}
        assert Measurement.objects.filter(kpi=sales).count() == 2


@pytest.mark.parametrize(
    ("value", "note", "errors"),
    [
        ("lots", "", {"value": [VALUE_REQUIRED]}),
        ("4", "n" * 501, {"note": ["Keep the note under 500 characters."]}),
    ],
)
def test_a_bad_correction_changes_nothing(cast, make_kpi, value, note, errors):
    with tenant_context(cast.org.pk):
        sales = make_kpi("Sales")
        (old,) = services.record_measurements(
            actor=Actor(cast.admin), kpi=sales, rows=[Row("3", WHEN)]
        )
        with pytest.raises(ValidationError) as exc:
            services.correct_measurement(
                actor=Actor(cast.admin), measurement=old, value=value, note=note
            )
        assert exc.value.message_dict == errors
        old.refresh_from_db()
        assert old.is_current is True
        assert Measurement.objects.filter(kpi=sales).count() == 1


def test_a_correction_may_carry_a_note_of_500_characters(cast, make_kpi):
    with tenant_context(cast.org.pk):
        sales = make_kpi("Sales")
        (old,) = services.record_measurements(
            actor=Actor(cast.admin), kpi=sales, rows=[Row("3", WHEN)]
        )
        new = services.correct_measurement(
            actor=Actor(cast.admin), measurement=old, value="4", note="n" * 500
        )
        assert len(new.note) == 500


# --- creating and editing KPIs: owners, units, parents, goals ------------------------

SETTINGS = {"target": D(10), "amber_threshold": D(8), "red_threshold": D(5)}


def create(who, **fields):
    return services.create_kpi(actor=Actor(who), **({"name": "Uptime"} | SETTINGS | fields))


def refused(call) -> dict:
    with pytest.raises(ValidationError) as exc:
        call()
    return {field: messages[0] for field, messages in exc.value.message_dict.items()}


def test_an_admin_creates_a_kpi_for_someone_else_in_a_unit_with_goals(cast):
    from tests.factories import GoalFactory

    with tenant_context(cast.org.pk):
        goal = GoalFactory(org=cast.org, owner=cast.member)
        kpi = create(cast.admin, owner=cast.member, unit=cast.platform, goals=[goal])
        assert (kpi.owner, kpi.unit, kpi.created_by) == (cast.member, cast.platform, cast.admin)
        assert list(kpi.goals.all()) == [goal]


def test_the_owner_defaults_to_whoever_creates_it(cast):
    with tenant_context(cast.org.pk):
        assert create(cast.member).owner == cast.member


def test_only_admins_create_kpis_for_other_people(cast):
    with tenant_context(cast.org.pk), pytest.raises(PermissionDenied):
        create(cast.manager, owner=cast.member)


def test_the_owner_must_be_an_active_person_of_this_organisation(cast):
    message = {"owner": "Choose an active person in this organisation."}
    with tenant_context(cast.org.pk):
        type(cast.member2).objects.filter(pk=cast.member2.pk).update(is_active=False)
        cast.member2.refresh_from_db()
        assert refused(lambda: create(cast.admin, owner=cast.member2)) == message
        assert refused(lambda: create(cast.admin, owner=None)) == message
    with tenant_context(cast.org.pk):
        assert refused(lambda: create(cast.admin, owner=cast.other_member)) == message
        assert not Kpi.objects.exists()


def test_the_unit_must_be_one_of_this_organisation(cast):
    with tenant_context(cast.org.pk):
        assert refused(lambda: create(cast.admin, unit=cast.other_unit)) == {
            "unit": "Choose a unit of this organisation."
        }
        assert create(cast.admin, unit=None).unit is None


def test_a_parent_must_be_a_kpi_of_this_organisation(cast):
    with tenant_context(cast.other_org.pk):
        theirs = create(cast.other_admin)
    with tenant_context(cast.org.pk):
        assert refused(lambda: create(cast.admin, parent=theirs)) == {
            "parent": "Choose a KPI of this organisation."
        }
        ours = create(cast.admin, name="Revenue")
        assert create(cast.admin, name="North", parent=ours).parent == ours


def test_a_kpi_cannot_roll_up_into_its_own_child(cast):
    with tenant_context(cast.org.pk):
        top = create(cast.admin, name="Revenue")
        child = create(cast.admin, name="North", parent=top)
        grandchild = create(cast.admin, name="North-west", parent=child)
        loop = {"parent": "A KPI cannot roll up into itself or one of its children."}
        assert (
            refused(
                lambda: services.update_kpi(actor=Actor(cast.admin), kpi=top, parent=grandchild)
            )
            == loop
        )
        top.refresh_from_db()
        assert (
            refused(lambda: services.update_kpi(actor=Actor(cast.admin), kpi=top, parent=top))
            == loop
        )
        # Moving a child under a sibling is fine.
        top.refresh_from_db()
        other = create(cast.admin, name="South", parent=top)
        moved = services.update_kpi(actor=Actor(cast.admin), kpi=grandchild, parent=other)
        assert moved.parent == other


def test_a_kpi_with_values_entered_by_hand_cannot_become_a_parent(cast):
    with tenant_context(cast.org.pk):
        manual = create(cast.admin, name="Revenue")
        services.record_measurements(actor=Actor(cast.admin), kpi=manual, rows=[Row("5", WHEN)])
        assert refused(lambda: create(cast.admin, name="North", parent=manual)) == {
            "parent": "“Revenue” has values entered by hand; a KPI computed from child "
            "KPIs cannot have those. Choose another parent."
        }
        # Values the roll-up computed are not entered by hand.
        computed = create(cast.admin, name="Costs")
        Measurement.objects.create(
            org=cast.org, kpi=computed, value=D(1), measured_at=WHEN, source="rollup"
        )
        assert create(cast.admin, name="Costs north", parent=computed).parent == computed


def test_a_parent_that_already_has_children_keeps_taking_more(cast):
    with tenant_context(cast.org.pk):
        parent = create(cast.admin, name="Revenue")
        create(cast.admin, name="North", parent=parent)
        # Old values entered before it became a parent do not block a second child.
        Measurement.objects.create(org=cast.org, kpi=parent, value=D(1), measured_at=WHEN)
        assert create(cast.admin, name="South", parent=parent).parent == parent


def test_unknown_fields_are_a_programming_error(cast):
    with tenant_context(cast.org.pk), pytest.raises(TypeError, match="Unknown KPI field colour"):
        create(cast.admin, colour="red")


def test_a_manager_edits_the_kpi_of_someone_they_manage(cast):
    with tenant_context(cast.org.pk):
        kpi = create(cast.member)
        edited = services.update_kpi(actor=Actor(cast.manager), kpi=kpi, name="Uptime (prod)")
        assert edited.name == "Uptime (prod)"
        with pytest.raises(PermissionDenied):
            services.update_kpi(actor=Actor(cast.member2), kpi=kpi, name="Mine now")
        kpi.refresh_from_db()
        assert kpi.name == "Uptime (prod)"


def test_an_edit_with_bad_settings_saves_nothing(cast):
    with tenant_context(cast.org.pk):
        kpi = create(cast.admin)
        admin = Actor(cast.admin)
        assert refused(lambda: services.update_kpi(actor=admin, kpi=kpi, red_threshold=D(9))) == {
            "amber_threshold": HIGHER_ORDER
        }
        assert refused(lambda: services.update_kpi(actor=admin, kpi=kpi, name=" ")) == {
            "name": "Name the KPI."
        }
        kpi.refresh_from_db()
        assert (kpi.name, kpi.red_threshold) == ("Uptime", D(5))


def test_goals_linked_on_edit_replace_the_old_ones_unless_left_out(cast):
    from tests.factories import GoalFactory

    with tenant_context(cast.org.pk):
        first = GoalFactory(org=cast.org, owner=cast.admin)
        second = GoalFactory(org=cast.org, owner=cast.admin)
        kpi = create(cast.admin, goals=[first])
        services.update_kpi(actor=Actor(cast.admin), kpi=kpi, name="Renamed")
        assert list(kpi.goals.all()) == [first]
        services.update_kpi(actor=Actor(cast.admin), kpi=kpi, goals=[second])
        assert list(kpi.goals.all()) == [second]
        services.update_kpi(actor=Actor(cast.admin), kpi=kpi, goals=[])
        assert list(kpi.goals.all()) == []


def test_goals_must_be_of_this_organisation_and_visible(cast):
    from tests.factories import GoalFactory

    message = {"goals": "Choose goals of this organisation that you can see."}
    with tenant_context(cast.other_org.pk):
        theirs = GoalFactory(org=cast.other_org, owner=cast.other_admin)
    with tenant_context(cast.org.pk):
        hidden = GoalFactory(org=cast.org, owner=cast.admin, visibility="private")
        shown = GoalFactory(org=cast.org, owner=cast.admin)
        assert refused(lambda: create(cast.admin, goals=[theirs])) == message
        assert refused(lambda: create(cast.member, goals=[hidden])) == message
        kpi = create(cast.member, goals=[shown])
        assert (
            refused(lambda: services.update_kpi(actor=Actor(cast.member), kpi=kpi, goals=[hidden]))
            == message
        )
        assert list(kpi.goals.all()) == [shown]
        # An admin sees the private goal.
        assert list(create(cast.admin, name="Other", goals=[hidden]).goals.all()) == [hidden]


def test_owners_to_choose_from_are_everyone_active_for_admins_and_oneself_otherwise(cast):
    with tenant_context(cast.org.pk):
        type(cast.member2).objects.filter(pk=cast.member2.pk).update(is_active=False)
        everyone = set(services.owner_choices(Actor(cast.admin)))
        assert cast.member in everyone and cast.manager in everyone
        assert cast.member2 not in everyone
        assert cast.other_member not in everyone
        assert list(services.owner_choices(Actor(cast.manager))) == [cast.manager]

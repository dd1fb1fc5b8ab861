"""The cycles page: everyone sees the cycles; admins create and edit them."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from core.tenancy import tenant_context
from goals.forms import NOT_A_DATE
from goals.models import Cycle
from goals.services import CYCLE_DATES


def cycles_url(cast, name="goals:cycles", *args) -> str:
    return reverse(name, args=[cast.org.slug, *args])


def make_cycle(org, name="2027 Q1", start=date(2027, 1, 1), end=date(2027, 3, 31), **kw):
    with tenant_context(org.pk):
        return Cycle.objects.create(org=org, name=name, start=start, end=end, **kw)


def cycle_names(org) -> list[str]:
    with tenant_context(org.pk):
        return list(Cycle.objects.filter(org=org).values_list("name", flat=True))


def test_everyone_sees_the_cycles_of_their_organisation_newest_first(cast, login):
    make_cycle(cast.org, "2026 Q4", date(2026, 10, 1), date(2026, 12, 31), status="closed")
    make_cycle(cast.org, "2027 Q1", status="active")
    make_cycle(cast.other_org, "Globex secret quarter")
    response = login(cast.member).get(cycles_url(cast))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("2027 Q1") < page.index("2026 Q4")
    assert "Globex secret quarter" not in page
    assert "Active" in page and "Closed" in page
    assert response.context["form"] is None
    assert "New cycle" not in page


def test_it_lets_an_admin_create_a_cycle(cast, login):
    response = login(cast.admin).post(
        cycles_url(cast),
        {"name": "2027 Q1", "start": "2027-01-01", "end": "2027-03-31", "status": "planning"},
    )
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        cycle = Cycle.objects.get(org=cast.org, name="2027 Q1")
    assert (cycle.start, cycle.end, cycle.status) == (
        date(2027, 1, 1),
        date(2027, 3, 31),
        "planning",
    )


def test_it_refuses_a_cycle_that_ends_before_it_starts(cast, login):
    response = login(cast.admin).post(
        cycles_url(cast),
        {"name": "Backwards", "start": "2027-03-31", "end": "2027-01-01", "status": "planning"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["end"] == [CYCLE_DATES]
    assert CYCLE_DATES in response.content.decode()
    assert cycle_names(cast.org) == []


def test_it_refuses_a_cycle_that_ends_the_day_it_starts(cast, login):
    response = login(cast.admin).post(
        cycles_url(cast),
        {"name": "Blink", "start": "2027-01-01", "end": "2027-01-01", "status": "planning"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["end"] == [CYCLE_DATES]


def test_it_refuses_a_date_that_is_not_a_date(cast, login):
    response = login(cast.admin).post(
        cycles_url(cast),
        {"name": "Soon", "start": "next monday", "end": "2027-01-01", "status": "planning"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["start"] == [NOT_A_DATE]
    assert cycle_names(cast.org) == []


def test_it_refuses_a_second_cycle_with_the_same_name(cast, login):
    make_cycle(cast.org, "2027 Q1")
    response = login(cast.admin).post(
        cycles_url(cast),
        {"name": "2027 q1", "start": "2027-04-01", "end": "2027-06-30", "status": "planning"},
    )
    assert response.status_code == 400
    assert "already a cycle with this name" in response.content.decode()
    assert cycle_names(cast.org) == ["2027 Q1"]


def test_the_same_name_is_fine_in_another_organisation(cast, login):
    make_cycle(cast.other_org, "2027 Q1")
    response = login(cast.admin).post(
        cycles_url(cast),
        {"name": "2027 Q1", "start": "2027-01-01", "end": "2027-03-31", "status": "active"},
    )
    assert response.status_code == 302


def test_managers_and_members_cannot_create_or_edit_cycles(cast, login):
    cycle = make_cycle(cast.org)
    data = {"name": "Mine", "start": "2027-04-01", "end": "2027-06-30", "status": "active"}
    for person in (cast.manager, cast.member):
        client = login(person)
        assert client.post(cycles_url(cast), data).status_code == 403
        assert client.get(cycles_url(cast, "goals:cycle_edit", cycle.pk)).status_code == 403
        assert client.post(cycles_url(cast, "goals:cycle_edit", cycle.pk), data).status_code == 403
    assert cycle_names(cast.org) == ["2027 Q1"]


def test_it_lets_an_admin_rename_reschedule_and_activate_a_cycle(cast, login):
    cycle = make_cycle(cast.org)
    client = login(cast.admin)
    form = client.get(cycles_url(cast, "goals:cycle_edit", cycle.pk))
    assert form.status_code == 200
    assert 'value="2027-01-01"' in form.content.decode()
    response = client.post(
        cycles_url(cast, "goals:cycle_edit", cycle.pk),
        {
            "name": "2027 first quarter",
            "start": "2027-01-04",
            "end": "2027-04-02",
            "status": "active",
        },
    )
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        cycle.refresh_from_db()
    assert (cycle.name, cycle.start, cycle.end, cycle.status) == (
        "2027 first quarter",
        date(2027, 1, 4),
        date(2027, 4, 2),
        "active",
    )


def test_editing_a_cycle_to_end_before_it_starts_changes_nothing(cast, login):
    cycle = make_cycle(cast.org)
    response = login(cast.admin).post(
        cycles_url(cast, "goals:cycle_edit", cycle.pk),
        {"name": "2027 Q1", "start": "2027-01-01", "end": "2026-12-01", "status": "planning"},
    )
    assert response.status_code == 400
    assert CYCLE_DATES in response.content.decode()
    with tenant_context(cast.org.pk):
        cycle.refresh_from_db()
    assert cycle.end == date(2027, 3, 31)


def test_another_organisations_cycle_is_not_found(cast, login):
    theirs = make_cycle(cast.other_org, "Globex Q1")
    client = login(cast.admin)
    assert client.get(cycles_url(cast, "goals:cycle_edit", theirs.pk)).status_code == 404
    assert client.get(cycles_url(cast, "goals:cycle_edit", 999999)).status_code == 404

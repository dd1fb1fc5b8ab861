"""The KPI pages: the list, a KPI's page (chart, forecast, entry, corrections),
create and edit, and the KPIs on a goal's page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from goals.access import Actor
from goals.models import Level
from kpis import services
from kpis.models import GoalKpi, Kpi, KpiVisibility, Measurement, PeriodValue
from kpis.tests.helpers import add_values, count, make_kpi, url
from tests.factories import CycleFactory, GoalFactory
from tests.test_query_counts import request_queries

HTMX = {"HTTP_HX_REQUEST": "true"}


def rls() -> int:
    return 2 if connection.vendor == "postgresql" else 0


# --- The list ------------------------------------------------------------------------


def test_it_lists_kpis_with_value_status_in_words_owner_and_overdue(cast, login):
    fresh = make_kpi(cast.member, name="Uptime")
    add_values(fresh, [99.0, 99.2, 99.95])
    stale = make_kpi(cast.member2, name="Deploys", unit_label="", target=10, amber_threshold=8,
                     red_threshold=5)  # fmt: skip
    add_values(stale, [3], end=timezone.now() - timedelta(days=3))
    response = login(cast.member).get(url("kpi_list", cast))
    assert response.status_code == 200
    rows = {row.kpi.name: row for row in response.context["rows"]}
    assert rows["Uptime"].value_text == "99.95%"
    assert rows["Uptime"].status.label == "On track" and not rows["Uptime"].overdue
    assert rows["Deploys"].status.label == "Off track" and rows["Deploys"].overdue
    html = response.content.decode()
    assert "Off track" in html and "Overdue" in html and "Carol Member (Acme)" in html
    assert html.count('class="sparkline"') == 2


def test_it_hides_someone_elses_private_kpi_and_filters_mine(cast, login):
    make_kpi(cast.member, name="Bob's public")
    make_kpi(cast.member2, name="Carol's private", visibility=KpiVisibility.PRIVATE)
    client = login(cast.member)
    names = [r.kpi.name for r in client.get(url("kpi_list", cast)).context["rows"]]
    assert names == ["Bob's public"]
    make_kpi(cast.member2, name="Carol's public")
    mine = client.get(url("kpi_list", cast), {"show": "mine"}).context["rows"]
    assert [r.kpi.name for r in mine] == ["Bob's public"]
    # Her manager sees the private one.
    names = [r.kpi.name for r in login(cast.manager).get(url("kpi_list", cast)).context["rows"]]
    assert "Carol's private" in names


@pytest.mark.parametrize("size", [3, 30])
def test_the_list_runs_the_same_queries_whatever_its_size(
    cast, login, django_assert_num_queries, size
):
    for i in range(size):
        kpi = make_kpi(cast.member if i % 2 else cast.member2, name=f"KPI {i:02d}",
                       visibility="private" if i % 5 == 0 else "public")  # fmt: skip
        add_values(kpi, [90 + j % 7 for j in range(40)])
    client = login(cast.member)
    # the member's reports (private KPIs), the paginator's count, a page of KPIs with
    # owners, every row's recent values (one window query), the organisation switcher
    with django_assert_num_queries(request_queries() + 5):
        response = client.get(url("kpi_list", cast))
    assert response.status_code == 200
    # Carol's private KPIs (every tenth) are not Bob's to see.
    visible = size - len(range(0, size, 10))
    assert response.context["page"].paginator.count == visible
    assert len(response.context["rows"]) == min(visible, 25)
    spark = response.context["rows"][0].spark
    assert spark is not None and len(spark.points) == 12


# --- A KPI's page: who sees and changes what ------------------------------------------


def test_a_private_kpi_of_someone_else_is_404(cast, login):
    kpi = make_kpi(cast.member2, visibility=KpiVisibility.PRIVATE)
    client = login(cast.member)
    for name in ("kpi_detail", "kpi_edit", "kpi_upload"):
        assert client.get(url(name, cast, kpi.pk)).status_code == 404
    response = client.post(url("kpi_measurement_new", cast, kpi.pk), {"value": "1"})
    assert response.status_code == 404
    assert count(kpi) == 0


def test_another_organisations_kpi_is_404(cast, client):
    kpi = make_kpi(cast.member)
    (m,) = add_values(kpi, [99])
    client.force_login(cast.other_admin.user)
    foreign = {"org_slug": cast.other_org.slug}
    assert (
        client.get(reverse("kpis:kpi_detail", kwargs={**foreign, "kpi_pk": kpi.pk})).status_code
        == 404
    )
    assert client.get(url("kpi_detail", cast, kpi.pk)).status_code == 404
    corrected = reverse("kpis:kpi_measurement_correct", kwargs={**foreign, "measurement_pk": m.pk})
    assert client.post(corrected, {"value": "5"}).status_code == 404
    assert count(kpi, is_current=True, value=Decimal(99)) == 1


def test_a_member_cannot_edit_or_record_on_someone_elses_kpi(cast, login):
    kpi = make_kpi(cast.member2, name="Carol's")
    (m,) = add_values(kpi, [99])
    client = login(cast.member)
    page = client.get(url("kpi_detail", cast, kpi.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Enter a value" not in html and ">Edit<" not in html and "Correct" not in html
    assert client.get(url("kpi_edit", cast, kpi.pk)).status_code == 403
    assert client.post(url("kpi_edit", cast, kpi.pk), {"name": "Mine now"}).status_code == 403
    new = url("kpi_measurement_new", cast, kpi.pk)
    assert client.post(new, {"value": "5", "measured_at": "2026-01-01T10:00"}).status_code == 403
    correct = url("kpi_measurement_correct", cast, m.pk)
    assert client.post(correct, {"value": "5"}).status_code == 403
    assert count(kpi) == 1
    with tenant_context(cast.org.pk):
        assert Kpi.objects.get(pk=kpi.pk).name == "Carol's"


# --- Entering and correcting values ---------------------------------------------------


def test_an_owner_enters_a_value_and_gets_the_chart_and_table_back(cast, login):
    kpi = make_kpi(cast.member)
    add_values(kpi, [99.1, 99.2])
    when = timezone.localtime(timezone.now()).strftime("%Y-%m-%dT%H:%M")
    response = login(cast.member).post(
        url("kpi_measurement_new", cast, kpi.pk),
        {"value": "99.7", "measured_at": when, "note": "after the fix"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="kpi-history"' in html and "<html" not in html
    assert "Value saved." in html and "99.7%" in html and 'role="img"' in html
    with tenant_context(cast.org.pk):
        saved = Measurement.objects.get(kpi=kpi, value=Decimal("99.7"))
        assert saved.entered_by == cast.member and saved.note == "after the fix"
        assert Kpi.objects.get(pk=kpi.pk).latest_value == Decimal("99.7")


def test_the_entry_time_is_in_the_organisations_timezone(cast, login):
    with tenant_context(cast.org.pk):
        cast.org.timezone = "Pacific/Auckland"
        cast.org.save(update_fields=["timezone"])
    kpi = make_kpi(cast.member)
    client = login(cast.member)
    client.post(url("kpi_measurement_new", cast, kpi.pk),
                {"value": "1", "measured_at": "2026-06-01T09:00"})  # fmt: skip
    with tenant_context(cast.org.pk):
        saved = Measurement.objects.get(kpi=kpi)
    assert saved.measured_at.isoformat() == "2026-05-31T21:00:00+00:00"


@pytest.mark.parametrize(
    "posted,message",
    [
        ({"value": "lots", "measured_at": "2026-01-05T10:00"}, services.VALUE_REQUIRED),
        ({"value": "1e30", "measured_at": "2026-01-05T10:00"}, services.VALUE_TOO_BIG),
        ({"value": "5", "measured_at": ""}, services.WHEN_REQUIRED),
        ({"value": "5", "measured_at": "2099-01-01T10:00"}, services.WHEN_FUTURE),
        ({"value": "5", "measured_at": "1999-01-01T10:00"}, services.WHEN_TOO_EARLY),
    ],
)
def test_a_bad_value_is_refused_on_the_form_and_nothing_is_saved(cast, login, posted, message):
    kpi = make_kpi(cast.member)
    response = login(cast.member).post(url("kpi_measurement_new", cast, kpi.pk), posted, **HTMX)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert count(kpi) == 0


def test_a_correction_keeps_the_old_value_in_the_history(cast, login):
    kpi = make_kpi(cast.member)
    old, latest = add_values(kpi, [99.1, 99.2], by=cast.member)
    client = login(cast.manager)  # Bob's manager may correct his KPI
    page = client.get(url("kpi_measurement_correct", cast, latest.pk))
    assert page.status_code == 200
    response = client.post(url("kpi_measurement_correct", cast, latest.pk), {"value": "98.2"})
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        latest.refresh_from_db()
        new = Measurement.objects.get(replaces=latest)
        assert not latest.is_current and new.is_current and new.value == Decimal("98.2")
        assert Kpi.objects.get(pk=kpi.pk).latest_value == Decimal("98.2")
    html = client.get(url("kpi_detail", cast, kpi.pk)).content.decode()
    assert "corrected from 99.2% by Mallory Manager (Acme)" in html
    # The replaced value is not current any more: correcting it again is refused.
    again = client.post(url("kpi_measurement_correct", cast, latest.pk), {"value": "1"})
    assert again.status_code == 400
    assert services.ALREADY_CORRECTED in again.content.decode()
    assert count(kpi) == 3


def test_a_bad_correction_changes_nothing(cast, login):
    kpi = make_kpi(cast.member)
    (m,) = add_values(kpi, [99.1])
    response = login(cast.member).post(url("kpi_measurement_correct", cast, m.pk), {"value": "x"})
    assert response.status_code == 400
    assert services.VALUE_REQUIRED in response.content.decode()
    assert count(kpi) == 1 and count(kpi, is_current=True) == 1


def test_a_computed_kpi_shows_its_children_and_refuses_entry(cast, login):
    parent = make_kpi(cast.member, name="Incidents (department)", aggregation="sum",
                      direction="lower", target=5, amber_threshold=8, red_threshold=12)  # fmt: skip
    for name, value in (("Team A incidents", 3), ("Team B incidents", 4)):
        child = make_kpi(cast.member, name=name, parent=parent, direction="lower", target=2,
                         amber_threshold=4, red_threshold=6)  # fmt: skip
        add_values(child, [value])
    client = login(cast.member)
    html = client.get(url("kpi_detail", cast, parent.pk)).content.decode()
    assert "Computed from 2 child KPIs by sum" in html
    assert "Team A incidents" in html and "Team B incidents" in html
    assert "Enter a value" not in html
    response = client.post(url("kpi_measurement_new", cast, parent.pk),
                           {"value": "7", "measured_at": "2026-01-05T10:00"}, **HTMX)  # fmt: skip
    assert response.status_code == 400
    assert services.COMPUTED_KPI in response.content.decode()
    assert count(parent) == 0
    with tenant_context(cast.org.pk):
        Kpi.objects.filter(pk=parent.pk).update(aggregation="weighted_mean")
    html = client.get(url("kpi_detail", cast, parent.pk)).content.decode()
    assert "by weighted mean (by each child KPI&#x27;s weight)" in html  # not "kpi's"


def test_a_computed_kpi_says_which_period_its_value_is_for_not_when_measured(cast, login):
    parent = make_kpi(cast.member, name="All teams", cadence="weekly")
    make_kpi(cast.member, name="Team A", parent=parent)
    with tenant_context(cast.org.pk):
        Kpi.objects.filter(pk=parent.pk).update(
            latest_value=12, latest_at=timezone.make_aware(datetime(2026, 11, 30))
        )
    html = login(cast.member).get(url("kpi_detail", cast, parent.pk)).content.decode()
    headline = html.split("kpi-headline")[1].split("</p>")[0]
    assert 'computed for the week of <time datetime="2026-11-30">30 Nov 2026</time>' in headline
    assert "measured" not in headline


# --- The chart and the forecast -------------------------------------------------------


def test_the_forecast_sentence_needs_three_values(cast, login):
    kpi = make_kpi(cast.member, name="Signups", unit_label="", target=50, amber_threshold=40,
                   red_threshold=30, cadence="weekly")  # fmt: skip
    CycleFactory(org=cast.org, start=timezone.localdate() - timedelta(days=10),
                 end=timezone.localdate() + timedelta(days=20))  # fmt: skip
    add_values(kpi, [30, 32], days_apart=7)
    client = login(cast.member)
    html = client.get(url("kpi_detail", cast, kpi.pk)).content.decode()
    assert "On course" not in html and "A forecast needs at least three values" in html
    add_values(kpi, [34], end=timezone.now())
    response = client.get(url("kpi_detail", cast, kpi.pk))
    sentence = response.context["forecast_sentence"]
    assert sentence.startswith("On course for only") and "of 50 by" in sentence
    end = timezone.localdate() + timedelta(days=20)
    assert f"{end.day} {end:%b %Y}" in sentence
    assert sentence in response.content.decode()


def test_the_chart_has_a_text_summary_and_a_table_of_its_points(cast, login):
    kpi = make_kpi(cast.member, direction="range", target=60, target_low=40, amber_threshold=5,
                   red_threshold=10, unit_label="ms")  # fmt: skip
    add_values(kpi, [45, 50, 70])
    html = login(cast.member).get(url("kpi_detail", cast, kpi.pk)).content.decode()
    assert 'role="img"' in html and 'aria-label="Uptime: 3 measurements from' in html
    assert "target range 40 ms to 60 ms" in html
    assert "outside the range 40 ms–60 ms: at risk" in html
    assert 'class="kpi-chart-band"' in html and 'class="kpi-chart-forecast"' in html
    assert "Show as a table" in html and html.count('data-label="Value">70 ms<') == 2
    assert "style=" not in html.split('id="kpi-history"')[1].split("</svg>")[0]


def test_measurements_are_paginated_newest_first(cast, login):
    kpi = make_kpi(cast.member)
    add_values(kpi, list(range(25)))
    client = login(cast.member)
    first = client.get(url("kpi_detail", cast, kpi.pk)).context["measurements"]
    assert len(first.object_list) == 20 and first.object_list[0].value == Decimal(24)
    second = client.get(url("kpi_detail", cast, kpi.pk), {"page": 2}, **HTMX)
    assert "<html" not in second.content.decode()
    assert [m.value for m in second.context["measurements"].object_list] == [4, 3, 2, 1, 0]


@pytest.mark.parametrize("size", [2, 40])
def test_the_kpi_page_runs_the_same_queries_whatever_its_size(
    cast, login, django_assert_num_queries, size
):
    parent = make_kpi(cast.admin, name="Company uptime")
    kpi = make_kpi(cast.member, parent=parent)
    make_kpi(cast.member, name="Region", parent=kpi)  # a child: computed
    for i in range(size):
        add_values(kpi, [99 + (j % 3) / 10 for j in range(size * 5)], by=cast.member)
        goal = GoalFactory(
            owner=cast.member2 if i % 2 else cast.member,
            cycle=CycleFactory(org=cast.org),
            visibility="private" if i % 4 == 1 else "public",
            key_results=0,
        )
        with tenant_context(cast.org.pk):
            GoalKpi.objects.create(org=cast.org, kpi=kpi, goal=goal)
    with tenant_context(cast.org.pk):
        newest = Measurement.objects.filter(kpi=kpi).first()
        services.correct_measurement(actor=Actor(cast.member), measurement=newest, value="5")
    client = login(cast.member)
    # get_kpi, the member's reports, the child KPIs, the parent, the chart's points, the
    # active cycle, the paginator's count, a page of measurements (with who, and what
    # they replaced), the goals served, the organisation switcher
    with django_assert_num_queries(request_queries() + 10):
        response = client.get(url("kpi_detail", cast, kpi.pk))
    assert response.status_code == 200
    assert len(response.context["goals"]) == size - len(range(1, size, 4))


# --- Create and edit ------------------------------------------------------------------

FORM = {
    "name": "Lead time",
    "description": "",
    "unit_label": "days",
    "direction": "lower",
    "target": "2",
    "target_low": "",
    "amber_threshold": "4",
    "red_threshold": "7",
    "cadence": "weekly",
    "aggregation": "mean",
    "visibility": "public",
    "weight": "1",
}


def test_a_member_creates_a_kpi_they_own_linked_to_a_goal(cast, login):
    goal = GoalFactory(owner=cast.member, cycle=CycleFactory(org=cast.org), key_results=0)
    client = login(cast.member)
    form = client.get(url("kpi_create", cast)).context["form"]
    assert list(form.fields["owner"].queryset) == [cast.member]
    response = client.post(url("kpi_create", cast),
                           {**FORM, "owner": cast.member.pk, "goals": [goal.pk]})  # fmt: skip
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        kpi = Kpi.objects.get(name="Lead time")
        assert kpi.owner == cast.member and list(kpi.goals.all()) == [goal]


def test_a_member_cannot_create_a_kpi_for_someone_else(cast, login):
    response = login(cast.member).post(url("kpi_create", cast), {**FORM, "owner": cast.member2.pk})
    assert response.status_code == 400
    with tenant_context(cast.org.pk):
        assert not Kpi.objects.exists()


def test_thresholds_in_the_wrong_order_are_refused_with_the_reason(cast, login):
    response = login(cast.admin).post(
        url("kpi_create", cast), {**FORM, "owner": cast.member.pk, "amber_threshold": "9"}
    )
    assert response.status_code == 400
    assert "Lower is better: the target must be at most the amber threshold" in (
        response.content.decode()
    )
    with tenant_context(cast.org.pk):
        assert not Kpi.objects.exists()


def test_the_owner_and_the_admin_edit_a_kpi_and_its_goal_links(cast, login):
    kpi = make_kpi(cast.member)
    today = timezone.localdate()
    old_cycle = CycleFactory(org=cast.org, status="closed", start=today - timedelta(days=400),
                             end=today - timedelta(days=300))  # fmt: skip
    old_goal = GoalFactory(owner=cast.member, cycle=old_cycle, key_results=0)
    private = GoalFactory(owner=cast.member2, cycle=old_cycle, key_results=0, visibility="private")
    with tenant_context(cast.org.pk):
        GoalKpi.objects.create(org=cast.org, kpi=kpi, goal=old_goal)
        GoalKpi.objects.create(org=cast.org, kpi=kpi, goal=private)
    posted = {**FORM, "direction": "higher", "target": "99.9", "amber_threshold": "99.5",
              "red_threshold": "99", "owner": cast.member.pk}  # fmt: skip
    client = login(cast.member)
    form = client.get(url("kpi_edit", cast, kpi.pk)).context["form"]
    assert form.initial["goals"] and old_goal in form.fields["goals"].queryset
    assert private not in form.fields["goals"].queryset
    # Bob renames it, leaving the goal he sees ticked: both links stay.
    response = client.post(url("kpi_edit", cast, kpi.pk),
                           {**posted, "name": "Uptime (API)", "goals": [old_goal.pk]})  # fmt: skip
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        kpi.refresh_from_db()
        assert kpi.name == "Uptime (API)" and set(kpi.goals.all()) == {old_goal, private}
    # The admin unticks everything: no goal left.
    response = login(cast.admin).post(url("kpi_edit", cast, kpi.pk), {**posted, "name": "Uptime"})
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        assert not kpi.goals.exists()


# --- The goal page --------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 12])
def test_the_goal_page_lists_the_kpis_the_viewer_may_see(
    cast, login, django_assert_num_queries, size
):
    goal = GoalFactory(owner=cast.member, cycle=CycleFactory(org=cast.org), key_results=1,
                       level=Level.INDIVIDUAL)  # fmt: skip
    hidden = make_kpi(cast.member2, name="Carol's private", visibility=KpiVisibility.PRIVATE)
    followed = make_kpi(cast.member, name="Followed KPI")
    with tenant_context(cast.org.pk):
        GoalKpi.objects.create(org=cast.org, kpi=hidden, goal=goal)
        for i in range(size):
            kpi = make_kpi(cast.member, name=f"Signal {i:02d}")
            add_values(kpi, [99.95])
            GoalKpi.objects.create(org=cast.org, kpi=kpi, goal=goal)
        goal.key_results.update(kpi=followed)
    client = login(cast.member)
    response = client.get(f"/o/{cast.org.slug}/goals/{goal.pk}/")
    html = response.content.decode()
    assert "Signal 00" in html and "99.95%" in html and "On track" in html
    assert "Carol's private" not in html
    assert "Follows KPI" in html and "Followed KPI" in html
    assert len(response.context["kpi_rows"]) == size
    # The KPIs add one query to the goal page, at any size.
    with CaptureQueriesContext(connection) as queries:
        client.get(f"/o/{cast.org.slug}/goals/{goal.pk}/")
    kpi_queries = [q for q in queries.captured_queries if "kpis_goalkpi" in q["sql"]]
    assert len(kpi_queries) == 1


def test_a_computed_kpi_charts_the_roll_ups_values_per_period(cast, login):
    parent = make_kpi(cast.member, name="All teams", cadence="weekly")
    make_kpi(cast.member, name="Team A", parent=parent)
    with tenant_context(cast.org.pk):
        for i, value in enumerate([10, 12, 15]):
            start = date(2026, 11, 2 + 7 * i)
            PeriodValue.objects.create(
                org=cast.org, kpi=parent, granularity="week", period_start=start, value=value
            )
        PeriodValue.objects.create(
            org=cast.org, kpi=parent, granularity="month", period_start=date(2026, 11, 1), value=99
        )
    response = login(cast.member).get(url("kpi_detail", cast, parent.pk))
    assert [text for _, text in response.context["points"]] == ["10%", "12%", "15%"]
    html = response.content.decode()
    assert "computed from its child KPIs, per week" in html and 'role="img"' in html


def test_the_list_draws_a_computed_kpis_recent_roll_up_values(cast, login):
    parent = make_kpi(cast.member, name="All teams", cadence="weekly")
    child = make_kpi(cast.member, name="Team A", parent=parent)
    add_values(child, [5, 6])
    with tenant_context(cast.org.pk):
        for i, value in enumerate([10, 12, 15]):
            PeriodValue.objects.create(
                org=cast.org,
                kpi=parent,
                granularity="week",
                period_start=date(2026, 11, 2 + 7 * i),
                value=value,
            )
        PeriodValue.objects.create(
            org=cast.org, kpi=parent, granularity="month", period_start=date(2026, 11, 1), value=99
        )
    response = login(cast.member).get(url("kpi_list", cast))
    rows = {row.kpi.name: row for row in response.context["rows"]}
    # Its weekly values, not "No values yet" beside a current value.
    assert len(rows["All teams"].spark.points) == 3
    assert len(rows["Team A"].spark.points) == 2
    assert response.content.decode().count('class="sparkline"') == 2


@pytest.mark.parametrize(
    ("direction", "target", "low", "values", "said"),
    [
        ("lower", 250, None, [330, 300, 270], "below the 250 ms target"),
        ("lower", 100, None, [330, 300, 270], "above the 100 ms target: at risk"),
        ("range", 252, 248, [249, 250, 251], "outside the range 248 ms–252 ms: at risk"),
        ("range", 260, 248, [249, 250, 251], "inside the range 248 ms–260 ms"),
    ],
)
def test_the_forecast_says_which_side_of_a_lower_or_range_target_it_lands(
    cast, login, direction, target, low, values, said
):
    kpi = make_kpi(cast.member, name="Latency", unit_label="ms", direction=direction,
                   target=target, target_low=low, amber_threshold=1 if low else target + 50,
                   red_threshold=3 if low else target + 100, cadence="weekly")  # fmt: skip
    CycleFactory(org=cast.org, start=timezone.localdate() - timedelta(days=30),
                 end=timezone.localdate() + timedelta(days=20))  # fmt: skip
    add_values(kpi, values, days_apart=7, end=timezone.now())
    sentence = login(cast.member).get(url("kpi_detail", cast, kpi.pk)).context["forecast_sentence"]
    assert sentence.startswith("On course for ") and sentence.endswith(said)
    assert " of " not in sentence  # not "reach 240 ms of 250 ms"

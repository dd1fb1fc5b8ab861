"""The REST API for KPIs and their measurements, with idempotent batches."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from core.tenancy import tenant_context
from goals.access import Actor
from goals.models import Cycle
from kpis import services
from kpis.api import views
from kpis.models import IdempotentRequest, Kpi, KpiVisibility, Measurement, Source
from orgs import services as org_services
from orgs.models import Membership, Organization
from tests.factories import GoalFactory
from tests.test_query_counts import request_queries

BACKEND = "django.contrib.auth.backends.ModelBackend"


def api(membership: Membership | None = None, **kwargs) -> APIClient:
    client = APIClient(**kwargs)
    if membership is not None:
        client.force_login(membership.user, backend=BACKEND)
    return client


def url(org: Organization, rest: str = "") -> str:
    return f"/api/v1/orgs/{org.slug}/{rest}"


def make_kpi(who: Membership, name: str = "Uptime", **fields) -> Kpi:
    defaults = {
        "target": Decimal(99),
        "amber_threshold": Decimal(98),
        "red_threshold": Decimal(95),
        "unit_label": "%",
    }
    with tenant_context(who.org_id):
        return services.create_kpi(actor=Actor(who), name=name, **(defaults | fields))


def record(who: Membership, kpi: Kpi, *values, days_apart: int = 1) -> list[Measurement]:
    """Values oldest first, the last one an hour ago."""
    now = timezone.now() - timedelta(hours=1)
    rows = [
        services.Row(value=value, measured_at=now - timedelta(days=days_apart * age))
        for age, value in reversed(list(enumerate(reversed(values))))
    ]
    with tenant_context(who.org_id):
        return services.record_measurements(actor=Actor(who), kpi=kpi, rows=rows)


def count_measurements(org: Organization) -> int:
    with tenant_context(org.pk):
        return Measurement.objects.count()


def batch(*values, when: str | None = None) -> dict:
    yesterday = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(
        days=1
    )
    when = when or yesterday.isoformat()
    return {"measurements": [{"value": value, "measured_at": when} for value in values]}


@pytest.fixture
def uptime(cast) -> Kpi:
    """The member's public KPI: higher is better, target 99, amber 98, red 95."""
    return make_kpi(cast.member, owner=cast.member)


# --- Reading ----------------------------------------------------------------------------


def test_it_lists_the_kpis_a_member_may_see(cast, uptime):
    record(cast.member, uptime, "97.5")
    make_kpi(cast.member2, "Carol's secret", visibility=KpiVisibility.PRIVATE)
    make_kpi(cast.member, "Bob's own secret", visibility=KpiVisibility.PRIVATE)
    response = api(cast.member).get(url(cast.org, "kpis/"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [k["name"] for k in body["results"]] == ["Bob's own secret", "Uptime"]
    item = body["results"][1]
    assert item["latest_value"] == "97.5"
    assert item["status"] == "amber"
    assert item["status_label"] == "Needs attention"
    assert item["owner"] == cast.member.pk
    assert item["direction"] == "higher"
    assert item["target"] == "99"


def test_a_manager_sees_their_reports_private_kpis(cast):
    make_kpi(cast.member2, "Carol's secret", visibility=KpiVisibility.PRIVATE)
    names = [k["name"] for k in api(cast.manager).get(url(cast.org, "kpis/")).json()["results"]]
    assert names == ["Carol's secret"]


def test_it_shows_a_kpi_with_its_goals_and_forecast(cast, uptime):
    goal = GoalFactory(owner=cast.member, title="Reliable platform")
    hidden = GoalFactory(owner=cast.member2, title="Secret", visibility="private")
    with tenant_context(cast.org.pk):
        cycle = Cycle.objects.create(
            org=cast.org,
            name="Now",
            start=timezone.localdate() - timedelta(days=10),
            end=timezone.localdate() + timedelta(days=20),
            status=Cycle.Status.ACTIVE,
        )
        services.update_kpi(actor=Actor(cast.admin), kpi=uptime, goals=[goal, hidden])
    record(cast.member, uptime, "96", "97", "98")
    body = api(cast.member).get(url(cast.org, f"kpis/{uptime.pk}/")).json()
    assert body["goals"] == [goal.pk]  # not the private goal Bob cannot see
    assert body["latest_value"] == "98"
    forecast = body["forecast"]
    assert forecast["points"] == 3
    assert forecast["by"] == cycle.end.isoformat()
    assert forecast["reaches"] is True  # one point a day, 20 days to go
    assert forecast["value"] > 99
    assert forecast["sentence"].startswith("On course to reach")
    assert f" % of 99 by {cycle.end.day} " in forecast["sentence"]


def test_it_forecasts_ninety_days_ahead_without_an_active_cycle(cast, uptime):
    record(cast.member, uptime, "98", "97", "96")
    forecast = api(cast.member).get(url(cast.org, f"kpis/{uptime.pk}/")).json()["forecast"]
    assert forecast["by"] == (timezone.localdate() + timedelta(days=90)).isoformat()
    assert forecast["reaches"] is False
    assert forecast["sentence"].endswith("at risk")


def test_it_needs_three_points_to_forecast(cast, uptime):
    record(cast.member, uptime, "98", "97")
    assert api(cast.member).get(url(cast.org, f"kpis/{uptime.pk}/")).json()["forecast"] is None


def test_a_private_kpi_is_not_found_by_others(cast):
    secret = make_kpi(cast.member2, "Secret", visibility=KpiVisibility.PRIVATE)
    client = api(cast.member)
    assert client.get(url(cast.org, f"kpis/{secret.pk}/")).status_code == 404
    assert client.get(url(cast.org, f"kpis/{secret.pk}/measurements/")).status_code == 404
    response = client.post(url(cast.org, f"kpis/{secret.pk}/measurements/"), batch("1"), "json")
    assert response.status_code == 404
    assert api(cast.manager).get(url(cast.org, f"kpis/{secret.pk}/")).status_code == 200


def test_another_organisation_gets_404(cast, uptime):
    client = api(cast.other_admin)
    assert client.get(url(cast.org, f"kpis/{uptime.pk}/")).status_code == 404
    # Their own organisation's URL with our KPI's id: as if missing.
    assert client.get(url(cast.other_org, f"kpis/{uptime.pk}/")).status_code == 404
    response = client.patch(url(cast.other_org, f"kpis/{uptime.pk}/"), {"name": "x"}, "json")
    assert response.status_code == 404


# --- Creating and editing ---------------------------------------------------------------


def test_a_member_creates_a_kpi_they_own(cast):
    goal = GoalFactory(owner=cast.member, title="Fast pages")
    response = api(cast.member).post(
        url(cast.org, "kpis/"),
        {
            "name": "p95 latency",
            "unit_label": "ms",
            "direction": "lower",
            "target": "200",
            "amber_threshold": "250",
            "red_threshold": "400",
            "cadence": "daily",
            "goals": [goal.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"] == cast.member.pk
    assert body["goals"] == [goal.pk]
    assert body["status"] == "no_data"
    assert body["forecast"] is None
    with tenant_context(cast.org.pk):
        assert Kpi.objects.get(pk=body["id"]).created_by == cast.member


def test_a_member_may_not_create_a_kpi_for_someone_else(cast):
    response = api(cast.member).post(
        url(cast.org, "kpis/"),
        {
            "name": "Theirs",
            "target": 1,
            "amber_threshold": 1,
            "red_threshold": 0,
            "owner": cast.member2.pk,
        },
        format="json",
    )
    assert response.status_code == 403
    with tenant_context(cast.org.pk):
        assert not Kpi.objects.exists()


def test_it_refuses_thresholds_that_contradict_the_direction(cast):
    response = api(cast.admin).post(
        url(cast.org, "kpis/"),
        {
            "name": "Errors",
            "direction": "higher",
            "target": 10,
            "amber_threshold": 20,
            "red_threshold": 5,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "amber_threshold" in response.json()
    with tenant_context(cast.org.pk):
        assert not Kpi.objects.exists()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"direction": "sideways"}, "direction"),
        ({"cadence": "hourly"}, "cadence"),
        ({"aggregation": "median"}, "aggregation"),
        ({"visibility": "secret"}, "visibility"),
        ({"target": "lots"}, "target"),
        ({"target": "1" * 20}, "target"),
        ({"goals": [987654321]}, "goals"),
        ({"goals": "1"}, "goals"),
        ({"parent": {"id": 1}}, "parent"),
        ({"name": ["a"]}, "name"),
    ],
)
def test_it_refuses_bad_kpi_fields(cast, body, field):
    base = {"name": "Errors", "target": 1, "amber_threshold": 1, "red_threshold": 0}
    response = api(cast.admin).post(url(cast.org, "kpis/"), base | body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_the_owner_edits_their_kpi(cast, uptime):
    response = api(cast.member).patch(
        url(cast.org, f"kpis/{uptime.pk}/"), {"name": "Availability", "target": "99.9"}, "json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Availability"
    assert response.json()["target"] == "99.9"


def test_a_member_may_not_edit_someone_elses_kpi(cast, uptime):
    response = api(cast.member2).patch(
        url(cast.org, f"kpis/{uptime.pk}/"), {"name": "Mine"}, "json"
    )
    assert response.status_code == 403
    with tenant_context(cast.org.pk):
        assert Kpi.objects.get(pk=uptime.pk).name == "Uptime"
    response = api(cast.manager).patch(
        url(cast.org, f"kpis/{uptime.pk}/"), {"name": "Ours"}, "json"
    )
    assert response.status_code == 200


def test_an_edit_that_breaks_the_thresholds_changes_nothing(cast, uptime):
    response = api(cast.member).patch(
        url(cast.org, f"kpis/{uptime.pk}/"), {"name": "Renamed", "red_threshold": "100"}, "json"
    )
    assert response.status_code == 400
    with tenant_context(cast.org.pk):
        assert Kpi.objects.get(pk=uptime.pk).name == "Uptime"


# --- Measurements -----------------------------------------------------------------------


def test_it_lists_current_measurements_newest_first(cast, uptime):
    old, middle, new = record(cast.member, uptime, "90", "91", "92")
    with tenant_context(cast.org.pk):
        fixed = services.correct_measurement(
            actor=Actor(cast.member), measurement=middle, value="95"
        )
    body = api(cast.member2).get(url(cast.org, f"kpis/{uptime.pk}/measurements/")).json()
    assert body["count"] == 3
    assert [(m["id"], m["value"]) for m in body["results"]] == [
        (new.pk, "92"),
        (fixed.pk, "95"),
        (old.pk, "90"),
    ]
    assert body["results"][1]["replaces"] == middle.pk
    assert body["results"][0]["entered_by"] == cast.member.pk
    assert body["results"][0]["source"] == "manual"


def test_it_records_a_batch(cast, uptime):
    when = "2026-11-30T09:00:00Z"
    response = api(cast.member).post(
        url(cast.org, f"kpis/{uptime.pk}/measurements/"),
        {
            "measurements": [
                {"value": "12.5", "measured_at": when, "note": "after the fix"},
                {"value": 13, "measured_at": "2026-12-01T09:00:00+01:00"},
            ]
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    rows = response.json()
    assert [(r["value"], r["source"], r["entered_by"]) for r in rows] == [
        ("12.5", "api", cast.member.pk),
        ("13", "api", cast.member.pk),
    ]
    assert rows[0]["note"] == "after the fix"
    detail = api(cast.member).get(url(cast.org, f"kpis/{uptime.pk}/")).json()
    assert detail["latest_value"] == "13"
    assert detail["status"] == "red"


def test_a_bad_row_saves_nothing_and_is_named_by_its_index(cast, uptime):
    body = batch("1", "2")
    body["measurements"].append({"value": "a lot", "measured_at": "2026-11-30T09:00:00Z"})
    body["measurements"].append({"value": "4", "measured_at": "2999-01-01T00:00:00Z"})
    response = api(cast.member).post(url(cast.org, f"kpis/{uptime.pk}/measurements/"), body, "json")
    assert response.status_code == 400
    assert response.json() == {
        "measurements": {
            "2": {"value": [services.VALUE_REQUIRED]},
            "3": {"measured_at": [services.WHEN_FUTURE]},
        }
    }
    assert count_measurements(cast.org) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"measurements": [{"value": {"n": 1}, "measured_at": "2026-11-30T09:00:00Z"}]},
        {"measurements": [{"value": [1], "measured_at": "2026-11-30T09:00:00Z"}]},
        {"measurements": [{"value": True, "measured_at": "2026-11-30T09:00:00Z"}]},
        {"measurements": [{"value": None, "measured_at": "2026-11-30T09:00:00Z"}]},
        {"measurements": [{"value": "1e400", "measured_at": "2026-11-30T09:00:00Z"}]},
        {"measurements": [{"value": "NaN", "measured_at": "2026-11-30T09:00:00Z"}]},
        {"measurements": [{"value": "1.00001", "measured_at": "2026-11-30T09:00:00Z"}]},
        {"measurements": [{"value": "1", "measured_at": "30/11/2026"}]},
        {"measurements": [{"value": "1", "measured_at": 1764493200}]},
        {"measurements": [{"value": "1", "measured_at": ["2026-11-30"]}]},
        {"measurements": [{"value": "1", "measured_at": "1999-12-31T00:00:00Z"}]},
        {"measurements": [{"value": "1"}]},
        {"measurements": [{"measured_at": "2026-11-30T09:00:00Z"}]},
        {"measurements": [{"value": "1", "measured_at": "2026-11-30T09:00:00Z", "note": []}]},
        {"measurements": ["12.5"]},
        {"measurements": "12.5"},
        {"measurements": {"value": "1"}},
        {"measurements": []},
        {"measurements": None},
        {},
        [{"value": "1", "measured_at": "2026-11-30T09:00:00Z"}],
    ],
)
def test_wrong_types_are_a_400(cast, uptime, body):
    response = api(cast.member).post(url(cast.org, f"kpis/{uptime.pk}/measurements/"), body, "json")
    assert response.status_code == 400, response.content
    assert count_measurements(cast.org) == 0


def test_a_batch_too_big_is_refused(cast, uptime):
    body = batch(*["1"] * (services.MAX_BATCH + 1))
    response = api(cast.member).post(url(cast.org, f"kpis/{uptime.pk}/measurements/"), body, "json")
    assert response.status_code == 400
    assert response.json() == {"measurements": [services.BATCH_TOO_BIG]}


def test_a_computed_kpi_takes_no_values(cast, uptime):
    make_kpi(cast.member, "Child", parent=uptime)
    response = api(cast.member).post(
        url(cast.org, f"kpis/{uptime.pk}/measurements/"), batch("1"), "json"
    )
    assert response.status_code == 400
    assert response.json() == {"measurements": [services.COMPUTED_KPI]}


def test_only_editors_record_values(cast, uptime):
    response = api(cast.member2).post(
        url(cast.org, f"kpis/{uptime.pk}/measurements/"), batch("1"), "json"
    )
    assert response.status_code == 403
    assert count_measurements(cast.org) == 0


# --- Idempotency ------------------------------------------------------------------------


def post_with_key(client: APIClient, kpi: Kpi, body, key: str):
    return client.post(
        url(kpi.org, f"kpis/{kpi.pk}/measurements/"), body, "json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_resending_a_key_answers_the_same_and_saves_nothing_more(cast, uptime):
    client = api(cast.member)
    body = batch("1", "2")
    first = post_with_key(client, uptime, body, "nightly-2026-11-30")
    assert first.status_code == 201
    # The same body, its keys in another order: the same request.
    reordered = {"measurements": [dict(reversed(row.items())) for row in body["measurements"]]}
    again = post_with_key(client, uptime, reordered, "nightly-2026-11-30")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert count_measurements(cast.org) == 2


def test_a_key_reused_with_another_body_is_refused(cast, uptime):
    client = api(cast.member)
    assert post_with_key(client, uptime, batch("1"), "k1").status_code == 201
    response = post_with_key(client, uptime, batch("2"), "k1")
    assert response.status_code == 422
    assert response.json() == {"detail": views.KEY_REUSED}
    assert count_measurements(cast.org) == 1


def test_a_key_belongs_to_its_sender_and_its_kpi(cast, uptime):
    other = make_kpi(cast.member, "Other")
    assert post_with_key(api(cast.member), uptime, batch("1"), "k").status_code == 201
    assert post_with_key(api(cast.member), other, batch("1"), "k").status_code == 201
    assert post_with_key(api(cast.admin), uptime, batch("1"), "k").status_code == 201
    assert count_measurements(cast.org) == 3


def test_a_refused_batch_stores_no_answer(cast, uptime):
    client = api(cast.member)
    assert post_with_key(client, uptime, batch("many"), "k").status_code == 400
    assert post_with_key(client, uptime, batch("1"), "k").status_code == 201
    with tenant_context(cast.org.pk):
        stored = IdempotentRequest.objects.get()
    assert (stored.key, stored.membership, stored.status_code) == ("k", cast.member, 201)
    assert stored.path == f"/api/v1/orgs/acme/kpis/{uptime.pk}/measurements/"


@pytest.mark.parametrize("key", ["", "x" * 201, "a\x00b", "tab\there", "line\nbreak"])
def test_a_bad_key_is_a_400(cast, uptime, key):
    response = post_with_key(api(cast.member), uptime, batch("1"), key)
    assert response.status_code == 400
    assert response.json() == {"Idempotency-Key": [views.KEY_INVALID]}
    assert count_measurements(cast.org) == 0


def test_a_key_of_200_characters_is_fine(cast, uptime):
    assert post_with_key(api(cast.member), uptime, batch("1"), "x" * 200).status_code == 201


def test_the_loser_of_a_race_answers_the_winners_response(cast, uptime, monkeypatch):
    """Between the loser's look-up and its insert, the winner committed the key."""
    client = api(cast.member)
    body = batch("1")
    first = post_with_key(client, uptime, body, "race")
    original = views.MeasurementListView.stored
    calls = []

    def stored(self, request, key):
        calls.append(key)
        return None if len(calls) == 1 else original(self, request, key)

    monkeypatch.setattr(views.MeasurementListView, "stored", stored)
    again = post_with_key(client, uptime, body, "race")
    assert len(calls) == 2  # looked up, lost the insert, looked up again
    assert again.status_code == 201
    assert again.json() == first.json()
    assert count_measurements(cast.org) == 1
    with tenant_context(cast.org.pk):
        assert IdempotentRequest.objects.count() == 1


def test_without_a_key_each_send_records(cast, uptime):
    client = api(cast.member)
    for _ in range(2):
        response = client.post(url(cast.org, f"kpis/{uptime.pk}/measurements/"), batch("1"), "json")
        assert response.status_code == 201
    assert count_measurements(cast.org) == 2


# --- Tokens -----------------------------------------------------------------------------


def test_a_script_records_with_an_organisation_token(cast, uptime):
    with tenant_context(cast.org.pk):
        _, raw = org_services.api_token_create(membership=cast.member, name="script")
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = post_with_key(client, uptime, batch("99.5"), "run-1")
    assert response.status_code == 201
    assert response.json()[0]["entered_by"] == cast.member.pk
    assert post_with_key(client, uptime, batch("99.5"), "run-1").json() == response.json()
    assert client.get(url(cast.org, "kpis/")).json()["count"] == 1
    # The token counts only on its own organisation's URLs.
    assert client.get(url(cast.other_org, "kpis/")).status_code == 404
    assert client.get(url(cast.other_org, f"kpis/{uptime.pk}/")).status_code == 404
    assert APIClient().get(url(cast.org, "kpis/")).status_code in (401, 403)


# --- Query counts -----------------------------------------------------------------------


def grow(cast, kpis: int, values: int) -> Kpi:
    """``kpis`` public KPIs of the member, each with ``values`` measurements and a goal;
    returns the first."""
    goal = GoalFactory(owner=cast.member, title="Informed")
    made = []
    for n in range(kpis):
        kpi = make_kpi(cast.member, f"KPI {n:03d}", owner=cast.member)
        record(cast.member, kpi, *[str(90 + v % 10) for v in range(values)])
        with tenant_context(cast.org.pk):
            services.update_kpi(actor=Actor(cast.member), kpi=kpi, goals=[goal])
        made.append(kpi)
    return made[0]


SIZES = [(2, 3), (12, 30)]


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}-kpis-{s[1]}-values")
def grown(request, cast) -> Kpi:
    return grow(cast, *request.param)


def queries(client: APIClient, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_list_runs_a_fixed_number_of_queries(cast, grown):
    # The member's reporting subtree, the count, the page, the page's goal links (with
    # the visible-goals subquery).
    assert queries(api(cast.member), url(cast.org, "kpis/")) == request_queries() + 4


def test_the_detail_runs_a_fixed_number_of_queries(cast, grown):
    # The KPI, the reporting subtree, its goal links, its recent values, the active cycle.
    path = url(cast.org, f"kpis/{grown.pk}/")
    assert queries(api(cast.member), path) == request_queries() + 5


def test_the_history_runs_a_fixed_number_of_queries(cast, grown):
    # The KPI, the count, the page.
    path = url(cast.org, f"kpis/{grown.pk}/measurements/?limit=10")
    assert queries(api(cast.member), path) == request_queries() + 3


# --- Schema -----------------------------------------------------------------------------


def test_the_schema_describes_the_kpi_endpoints_with_their_enums(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    prefix = "/api/v1/orgs/{org_slug}/"
    for path in ("kpis/", "kpis/{kpi_pk}/", "kpis/{kpi_pk}/measurements/"):
        assert prefix + path in schema["paths"]
    enums = schema["components"]["schemas"]
    assert enums["KpiDirectionEnum"]["enum"] == ["higher", "lower", "range"]
    assert enums["CadenceEnum"]["enum"] == ["daily", "weekly", "monthly"]
    assert enums["AggregationEnum"]["enum"] == ["sum", "mean", "min", "max", "weighted_mean"]
    assert enums["SourceEnum"]["enum"] == [s.value for s in Source]
    assert enums["KpiStatusEnum"]["enum"] == ["on_target", "amber", "red", "no_data"]
    post = schema["paths"][prefix + "kpis/{kpi_pk}/measurements/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])

"""The API's bounds: page window, JSON depth and body size answer 400 or 413, never 500."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from core.api_limits import MAX_JSON_DEPTH, MAX_LIMIT, MAX_OFFSET, TOO_DEEP, json_depth
from core.tenancy import tenant_context
from orgs.models import Membership
from tests.test_isolation import goal_objects

BACKEND = "django.contrib.auth.backends.ModelBackend"
TOO_BIG = str(2**63)  # one more than PostgreSQL's largest bigint
LISTS = [
    "goals/",
    "cycles/",
    "memberships/",
    "units/",
    "goals/{goal}/events/",
    "key-results/{kr}/check-ins/",
]


def api(membership: Membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user, backend=BACKEND)
    return client


@pytest.fixture
def lists(cast) -> list[str]:
    """Every paginated list, as a URL of the cast's organisation."""
    goal = goal_objects(cast)
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
    return [
        f"/api/v1/orgs/{cast.org.slug}/" + rest.format(goal=goal.pk, kr=kr.pk) for rest in LISTS
    ]


def test_it_refuses_a_limit_beyond_bigint_on_every_list(cast, lists):
    client = api(cast.member)
    for url in lists:
        response = client.get(url, {"limit": TOO_BIG})
        assert response.status_code == 400, url
        assert list(response.json()) == ["limit"], url


def test_it_refuses_an_offset_beyond_bigint_on_every_list(cast, lists):
    client = api(cast.member)
    for url in lists:
        response = client.get(url, {"offset": TOO_BIG})
        assert response.status_code == 400, url
        assert list(response.json()) == ["offset"], url


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": str(MAX_LIMIT + 1)},
        {"limit": "ten"},
        {"limit": "9" * 10_000},
        {"limit": "²"},
        {"limit": "1\x00"},
        {"offset": "-1"},
        {"offset": str(MAX_OFFSET + 1)},
        {"offset": "1.5"},
    ],
)
def test_it_refuses_a_page_window_out_of_bounds_with_the_field_named(cast, lists, query):
    response = api(cast.member).get(lists[0], query)
    assert response.status_code == 400
    assert list(response.json()) == list(query)


def test_it_pages_within_the_bounds(cast, lists):
    client = api(cast.member)
    for url in lists:
        body = client.get(url, {"limit": MAX_LIMIT, "offset": MAX_OFFSET}).json()
        assert body["results"] == [], url
    assert client.get(lists[2], {"limit": ""}).json()["count"] == 4


def test_it_documents_the_bounds_in_the_schema(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    parameters = {
        p["name"]: p for p in schema["paths"]["/api/v1/orgs/{org_slug}/goals/"]["get"]["parameters"]
    }
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}
    assert parameters["offset"]["schema"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": MAX_OFFSET,
    }


def goals_url(cast) -> str:
    return f"/api/v1/orgs/{cast.org.slug}/goals/"


@pytest.mark.parametrize("body", ["[" * 1_200, '{"a":' * 1_200, "[" * 1_200 + "]" * 1_200])
def test_it_refuses_json_deeper_than_python_can_parse(cast, body):
    response = api(cast.member).post(goals_url(cast), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}


def test_it_refuses_json_nested_beyond_the_limit(cast):
    body = {"title": "Deep", "cycle": json.loads("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)}
    response = api(cast.member).post(goals_url(cast), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": TOO_DEEP}


def test_it_reads_json_within_the_limit(cast):
    body = {
        "title": "Shallow",
        "cycle": json.loads("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)),
    }
    response = api(cast.member).post(goals_url(cast), body, format="json")
    assert response.status_code == 400
    assert "cycle" in response.json()


def test_it_measures_depth_without_recursion():
    deep: list = []
    for _ in range(5_000):
        deep = [deep]
    assert json_depth(deep) == MAX_JSON_DEPTH + 1
    assert json_depth({"a": [1, {"b": []}], "c": 2}) == 4
    assert json_depth("text") == 0


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_it_refuses_a_body_beyond_the_upload_limit(cast, settings, content_type):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = json.dumps({"title": "x" * 2_000}) if "json" in content_type else "title=" + "x" * 2_000
    response = api(cast.member).post(goals_url(cast), body, content_type=content_type)
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]

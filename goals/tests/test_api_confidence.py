"""Confidence in the API: low, medium or high, and null (not "") before anyone says."""

from __future__ import annotations

from rest_framework.test import APIClient

from core.tenancy import tenant_context
from goals.models import KeyResult


def api(cast) -> APIClient:
    client = APIClient()
    client.force_login(cast.admin.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_a_goal_and_a_check_in_without_confidence_say_null(cast, objective):
    client = api(cast)
    base = f"/api/v1/orgs/{cast.org.slug}/"
    assert client.get(f"{base}goals/{objective.pk}/").json()["confidence"] is None
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=objective)
    created = client.post(f"{base}key-results/{kr.pk}/check-ins/", {"value": 150}, format="json")
    assert created.status_code == 201
    assert created.json()["confidence"] is None
    listed = client.get(f"{base}key-results/{kr.pk}/check-ins/").json()["results"]
    assert [c["confidence"] for c in listed] == [None]
    assert client.get(f"{base}goals/").json()["results"][0]["confidence"] is None


def test_a_stated_confidence_is_returned_as_it_is(cast, objective):
    client = api(cast)
    with tenant_context(cast.org.pk):
        kr = KeyResult.objects.get(goal=objective)
    base = f"/api/v1/orgs/{cast.org.slug}/"
    body = {"value": 150, "confidence": "high"}
    assert (
        client.post(f"{base}key-results/{kr.pk}/check-ins/", body, format="json").json()[
            "confidence"
        ]
        == "high"
    )
    assert client.get(f"{base}goals/{objective.pk}/").json()["confidence"] == "high"


def test_the_schema_declares_confidence_nullable(client):
    schemas = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    for name in ("Goal", "CheckIn"):
        confidence = schemas[name]["properties"]["confidence"]
        assert confidence["nullable"] is True, name
        refs = {item["$ref"].rsplit("/", 1)[1] for item in confidence["oneOf"]}
        assert refs == {"ConfidenceEnum", "NullEnum"}, name

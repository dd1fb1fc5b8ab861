from __future__ import annotations

import re

from django.urls import reverse

from core.tenancy import tenant_context
from orgs.models import ApiToken, Organization


def test_an_admin_changes_the_organisation_settings(cast, login):
    url = reverse("orgs:org_settings", args=[cast.org.slug])
    response = login(cast.admin).post(
        url, {"name": "Acme Corp", "timezone": "Europe/Paris", "checkin_cadence": "fortnightly"}
    )
    assert response.status_code == 302
    org = Organization.objects.get(pk=cast.org.pk)
    assert (org.name, org.timezone, org.checkin_cadence) == (
        "Acme Corp",
        "Europe/Paris",
        "fortnightly",
    )


def test_it_refuses_an_unknown_time_zone_and_cadence(cast, login):
    response = login(cast.admin).post(
        reverse("orgs:org_settings", args=[cast.org.slug]),
        {"name": "Acme", "timezone": "Mars/Olympus", "checkin_cadence": "hourly"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice. Mars/Olympus" in html and "hourly" in html
    assert Organization.objects.get(pk=cast.org.pk).timezone == "UTC"


def test_the_check_in_cadence_is_weekly_by_default(cast):
    assert cast.org.checkin_cadence == "weekly"


def test_members_cannot_open_the_organisation_settings(cast, login):
    assert (
        login(cast.member).get(reverse("orgs:org_settings", args=[cast.org.slug])).status_code
        == 403
    )


def test_a_member_creates_a_token_sees_it_once_and_revokes_it(cast, login, client):
    url = reverse("orgs:api_tokens", args=[cast.org.slug])
    page = login(cast.member).post(url, {"name": "KPI sync"}).content.decode()
    raw = re.search(r'id="new-token"[^>]*>(cairn_[\w-]+)<', page).group(1)
    api = f"/api/v1/orgs/{cast.org.slug}/"
    client.logout()
    assert client.get(api, headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    # Only a prefix is shown afterwards, never the token.
    login(cast.member)
    assert raw not in client.get(url).content.decode()
    with tenant_context(cast.org.pk):
        token = ApiToken.objects.get(membership=cast.member)
    client.post(reverse("orgs:api_token_revoke", args=[cast.org.slug, token.pk]))
    client.logout()
    assert client.get(api, headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_a_token_is_refused_by_another_organisation(cast, login, client):
    page = (
        login(cast.member)
        .post(reverse("orgs:api_tokens", args=[cast.org.slug]), {"name": "x"})
        .content.decode()
    )
    raw = re.search(r'id="new-token"[^>]*>(cairn_[\w-]+)<', page).group(1)
    client.logout()
    other = f"/api/v1/orgs/{cast.other_org.slug}/"
    assert client.get(other, headers={"Authorization": f"Bearer {raw}"}).status_code == 404


def test_the_token_form_needs_a_name(cast, login):
    response = login(cast.member).post(
        reverse("orgs:api_tokens", args=[cast.org.slug]), {"name": ""}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()

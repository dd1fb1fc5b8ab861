from __future__ import annotations

import re

import pytest
from django.urls import reverse

from core.tenancy import tenant_context
from orgs.forms import CYCLE_DAYS_RANGE, REMINDER_HOUR_RANGE
from orgs.models import ApiToken, Organization


def test_an_admin_changes_the_organisation_settings(cast, login):
    url = reverse("orgs:org_settings", args=[cast.org.slug])
    response = login(cast.admin).post(
        url,
        {
            "name": "Acme Corp",
            "timezone": "Europe/Paris",
            "checkin_cadence": "fortnightly",
            "reminder_hour": "7",
            "cycle_reminder_days": "10",
        },
    )
    assert response.status_code == 302
    org = Organization.objects.get(pk=cast.org.pk)
    assert (
        org.name,
        org.timezone,
        org.checkin_cadence,
        org.reminder_hour,
        org.cycle_reminder_days,
    ) == ("Acme Corp", "Europe/Paris", "fortnightly", 7, 10)


@pytest.mark.parametrize(
    ("hour", "days", "message"),
    [
        ("24", "7", REMINDER_HOUR_RANGE),
        ("-1", "7", REMINDER_HOUR_RANGE),
        ("eight", "7", REMINDER_HOUR_RANGE),
        ("", "7", "This field is required."),
        ("8", "0", CYCLE_DAYS_RANGE),
        ("8", "61", CYCLE_DAYS_RANGE),
        ("8", "99999999999999999999999", CYCLE_DAYS_RANGE),
    ],
)
def test_it_refuses_a_reminder_hour_or_cycle_days_out_of_range(cast, login, hour, days, message):
    response = login(cast.admin).post(
        reverse("orgs:org_settings", args=[cast.org.slug]),
        {
            "name": "Renamed",
            "timezone": "Pacific/Auckland",
            "checkin_cadence": "weekly",
            "reminder_hour": hour,
            "cycle_reminder_days": days,
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    org = Organization.objects.get(pk=cast.org.pk)
    assert (org.name, org.timezone, org.reminder_hour, org.cycle_reminder_days) == (
        "Acme",
        "UTC",
        8,
        7,
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

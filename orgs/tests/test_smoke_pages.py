from __future__ import annotations

import pytest
from django.urls import reverse

PAGES = [
    "orgs:org_home",
    "orgs:units",
    "orgs:people",
    "orgs:person_invite",
    "orgs:org_settings",
    "orgs:api_tokens",
    "orgs:people_import",
]


@pytest.mark.parametrize("name", PAGES)
def test_it_renders_each_admin_page(cast, login, name):
    client = login(cast.admin)
    response = client.get(reverse(name, args=[cast.org.slug]))
    assert response.status_code == 200
    assert cast.org.name.encode() in response.content


def test_the_overview_leads_to_the_goals(cast, login):
    html = login(cast.member).get(reverse("orgs:org_home", args=[cast.org.slug])).content.decode()
    assert reverse("goals:my_goals", args=[cast.org.slug]) in html
    assert reverse("goals:goal_tree", args=[cast.org.slug]) in html
    # Only people who approve goals get the approvals link there.
    assert reverse("goals:approvals", args=[cast.org.slug]) + '"' not in html.split("<main")[1]

from __future__ import annotations

import pytest
from django.urls import reverse

PAGES = [
    "org_home",
    "units",
    "people",
    "person_invite",
    "org_settings",
    "api_tokens",
    "people_import",
]


@pytest.mark.parametrize("name", PAGES)
def test_it_renders_each_admin_page(cast, login, name):
    client = login(cast.admin)
    response = client.get(reverse(name, args=[cast.org.slug]))
    assert response.status_code == 200
    assert cast.org.name.encode() in response.content

"""Pages htmx loads in parts: a part for htmx, the whole page otherwise."""

from __future__ import annotations

import pytest
from django.urls import reverse

HTMX = {"HTTP_HX_REQUEST": "true"}
RESTORE = {**HTMX, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}


@pytest.mark.parametrize(
    "name", ["orgs:people", "goals:my_goals", "goals:team_goals", "goals:goal_tree"]
)
def test_it_answers_htmx_with_a_part_and_a_history_restore_with_the_page(cast, login, name):
    client = login(cast.admin)
    url = reverse(name, args=[cast.org.slug])
    assert b"<html" in client.get(url).content
    assert b"<html" not in client.get(url, **HTMX).content
    # After Back, htmx restores a page it no longer holds by asking for all of it.
    assert b"<html" in client.get(url, **RESTORE).content

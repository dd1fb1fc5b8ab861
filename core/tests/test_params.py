"""Page filters read through core.params: NUL characters are stripped, ids that no
column could hold are ignored, and neither is a server error."""

from __future__ import annotations

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from core.params import id_param, id_params, text_param, to_id
from tests.test_isolation import goal_objects

TOO_BIG = str(2**63)  # one more than the largest bigint
NOT_IDS = ["", "0", "-1", "1.5", "²", "١", TOO_BIG, "9" * 10_000, "1\x00", " 1"]


@pytest.mark.parametrize("raw", NOT_IDS)
def test_it_reads_no_id_from_what_could_not_be_one(raw):
    assert to_id(raw) is None


def test_it_reads_ids_up_to_the_largest_bigint():
    assert to_id("1") == 1
    assert to_id("007") == 7
    assert to_id(str(2**63 - 1)) == 2**63 - 1


def test_it_reads_text_without_nul_trimmed_and_bounded():
    request = RequestFactory().get("/", {"q": "  Bob\x00 \x00", "long": "x" * 10_000})
    assert text_param(request, "q") == "Bob"
    assert text_param(request, "long") == "x" * 100
    assert text_param(request, "long", max_length=200) == "x" * 200
    assert text_param(request, "missing") == ""


def test_it_reads_the_first_ids_and_ignores_the_rest():
    values = ["3", "²", TOO_BIG, "1", "2"]
    request = RequestFactory().get("/", {"open": values, "unit": "²"})
    assert id_params(request, "open", limit=2) == {1, 3}
    assert id_param(request, "unit") is None


def emails(response) -> list[str]:
    return re.findall(r'<option value="([^"]+)">', response.content.decode())


def test_the_people_page_strips_nul_from_its_search(cast, login):
    client = login(cast.member)
    response = client.get(reverse("orgs:people", args=[cast.org.slug]), {"q": "Bob\x00"})
    assert response.status_code == 200
    assert [m.user.email for m in response.context["page"]] == ["member@acme.test"]


@pytest.mark.parametrize("unit", ["²", TOO_BIG, "9" * 10_000, "-1"])
def test_the_people_page_ignores_a_unit_that_could_not_be_one(cast, login, unit):
    response = login(cast.member).get(reverse("orgs:people", args=[cast.org.slug]), {"unit": unit})
    assert response.status_code == 200
    assert response.context["unit_id"] is None
    assert len(response.context["page"]) == 4


@pytest.mark.parametrize("name", ["q", "manager"])
def test_people_search_strips_nul(cast, login, name):
    response = login(cast.member).get(
        reverse("orgs:people_search", args=[cast.org.slug]), {name: "Carol\x00"}
    )
    assert response.status_code == 200
    assert emails(response) == ["member2@acme.test"]


@pytest.mark.parametrize("name,value", [("q", "Grow\x00"), ("owner_q", "Alice\x00")])
def test_the_tree_strips_nul_from_its_searches(cast, login, name, value):
    goal_objects(cast)
    response = login(cast.member).get(
        reverse("goals:goal_tree", args=[cast.org.slug]), {name: value}
    )
    assert response.status_code == 200
    assert response.context["matches"] == 1


@pytest.mark.parametrize("value", ["²", TOO_BIG, "9" * 10_000])
def test_the_tree_ignores_ids_that_could_not_be_ones(cast, login, value):
    goal = goal_objects(cast)
    client = login(cast.member)
    tree = reverse("goals:goal_tree", args=[cast.org.slug])
    for name in ("unit", "owner", "open", "expand", "closed"):
        response = client.get(tree, {name: value})
        assert response.status_code == 200, name
        assert response.context["shown"] == 1, name
    children = reverse("goals:goal_tree_children", args=[cast.org.slug, goal.pk])
    assert client.get(children, {"level": value}).status_code == 200

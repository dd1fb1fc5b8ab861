from __future__ import annotations

import pytest
from django.urls import reverse

from core.tenancy import tenant_context
from orgs.models import Membership, Unit
from orgs.services import UNIT_MOVE_INTO_ITSELF, UNIT_NAME_TAKEN, UNIT_REASSIGN_REQUIRED


def units_url(cast, name="orgs:units", *args):
    return reverse(name, args=[cast.org.slug, *args])


def test_it_shows_the_tree_with_leads_and_member_counts(cast, login):
    response = login(cast.member).get(units_url(cast))
    tree = [(u.name, u.tree_depth, u.member_count) for u in response.context["tree"]]
    assert tree == [("Acme", 0, 1), ("Engineering", 1, 1), ("Platform", 2, 2)]
    assert "Mallory Manager (Acme)" in response.content.decode()
    assert "Globex" not in response.content.decode()


def test_it_lets_an_admin_create_a_nested_unit(cast, login):
    client = login(cast.admin)
    response = client.post(
        units_url(cast), {"name": "Data", "parent": cast.engineering.pk, "lead": cast.manager.pk}
    )
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        unit = Unit.objects.get(org=cast.org, name="Data")
    assert (unit.parent_id, unit.lead_id) == (cast.engineering.pk, cast.manager.pk)


def test_it_refuses_a_duplicate_name_under_the_same_parent(cast, login):
    response = login(cast.admin).post(
        units_url(cast), {"name": "platform", "parent": cast.engineering.pk}
    )
    assert response.status_code == 400
    assert UNIT_NAME_TAKEN in response.content.decode()


def test_it_refuses_a_parent_from_another_organisation(cast, login):
    response = login(cast.admin).post(
        units_url(cast), {"name": "Spies", "parent": cast.other_unit.pk}
    )
    assert response.status_code == 400
    with tenant_context(cast.org.pk):
        assert not Unit.objects.filter(name="Spies").exists()


def test_it_hides_the_create_form_from_members_and_refuses_their_posts(cast, login):
    client = login(cast.member)
    assert client.get(units_url(cast)).context["form"] is None
    assert client.post(units_url(cast), {"name": "Rogue"}).status_code == 403


def test_it_moves_a_unit_under_another(cast, login):
    client = login(cast.admin)
    response = client.post(
        units_url(cast, "orgs:unit_edit", cast.platform.pk),
        {"name": "Platform", "parent": cast.company.pk, "lead": ""},
    )
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        assert Unit.objects.get(pk=cast.platform.pk).parent_id == cast.company.pk


@pytest.mark.parametrize("target", ["engineering", "platform"])
def test_it_refuses_to_move_a_unit_under_itself_or_a_descendant(cast, login, target):
    client = login(cast.admin)
    response = client.post(
        units_url(cast, "orgs:unit_edit", cast.engineering.pk),
        {"name": "Engineering", "parent": getattr(cast, target).pk},
    )
    assert response.status_code == 400
    assert UNIT_MOVE_INTO_ITSELF in response.content.decode()
    with tenant_context(cast.org.pk):
        assert Unit.objects.get(pk=cast.engineering.pk).parent_id == cast.company.pk


def test_it_renames_a_unit_in_place_with_htmx(cast, login):
    client = login(cast.admin)
    url = units_url(cast, "orgs:unit_rename", cast.platform.pk)
    form = client.get(url, headers={"HX-Request": "true"})
    assert form.content.decode().lstrip().startswith("<tr")
    response = client.post(url, {"name": "Platform Team"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<tr") and "Platform Team" in html and "<html" not in html
    with tenant_context(cast.org.pk):
        assert Unit.objects.get(pk=cast.platform.pk).name == "Platform Team"


def test_it_asks_where_people_go_when_deleting_a_unit_with_people(cast, login):
    client = login(cast.admin)
    url = units_url(cast, "orgs:unit_delete", cast.platform.pk)
    page = client.get(url).content.decode()
    assert "2 people belong to it" in page
    response = client.post(url, {})
    assert response.status_code == 400
    assert UNIT_REASSIGN_REQUIRED in response.content.decode()
    with tenant_context(cast.org.pk):
        assert Unit.objects.filter(pk=cast.platform.pk).exists()


def test_it_deletes_a_unit_moving_its_people_and_sub_units(cast, login):
    client = login(cast.admin)
    response = client.post(
        units_url(cast, "orgs:unit_delete", cast.engineering.pk),
        {"move_people_to": cast.company.pk},
    )
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        assert not Unit.objects.filter(pk=cast.engineering.pk).exists()
        assert Unit.objects.get(pk=cast.platform.pk).parent_id == cast.company.pk
        assert Membership.objects.get(pk=cast.manager.pk).unit_id == cast.company.pk
        # People of the sub-unit stay where they are.
        assert Membership.objects.get(pk=cast.member.pk).unit_id == cast.platform.pk

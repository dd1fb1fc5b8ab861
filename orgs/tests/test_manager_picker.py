from __future__ import annotations

from django.urls import reverse

from core.tenancy import tenant_context
from orgs.forms import NOT_IN_ORG
from orgs.models import Membership
from orgs.tests.test_people_search import add_engineers


def test_a_small_organisation_keeps_the_menu(cast, login):
    html = (
        login(cast.admin).get(reverse("orgs:person_invite", args=[cast.org.slug])).content.decode()
    )
    assert '<select name="manager"' in html


def test_a_large_organisation_chooses_the_manager_by_email(cast, login):
    add_engineers(cast, 200)
    client = login(cast.admin)
    url = reverse("orgs:person_edit", args=[cast.org.slug, cast.member.pk])
    html = client.get(url).content.decode()
    assert 'list="manager-options"' in html and 'value="manager@acme.test"' in html
    data = {"full_name": "", "title": "Engineer", "role": "member", "unit": "", "manager": ""}
    refused = client.post(url, {**data, "manager": "manager@globex.test"})
    assert refused.status_code == 400 and NOT_IN_ORG in refused.content.decode()
    assert client.post(url, {**data, "manager": "ADMIN@acme.test"}).status_code == 302
    with tenant_context(cast.org.pk):
        assert Membership.objects.get(pk=cast.member.pk).manager_id == cast.admin.pk

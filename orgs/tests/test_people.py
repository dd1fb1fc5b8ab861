from __future__ import annotations

from django.urls import reverse

from core.tenancy import tenant_context
from orgs.models import ApiToken, Membership, Role
from orgs.services import LAST_ADMIN, REPORTING_CYCLE, SELF_MANAGER, api_token_create


def edit(cast, client, person, **changes):
    data = {
        "full_name": person.user.full_name,
        "title": person.title,
        "role": person.role,
        "unit": person.unit_id or "",
        "manager": person.manager_id or "",
        **changes,
    }
    return client.post(reverse("orgs:person_edit", args=[cast.org.slug, person.pk]), data)


def test_it_lists_people_with_search_and_filters(cast, login):
    client = login(cast.member)
    url = reverse("orgs:people", args=[cast.org.slug])
    names = lambda r: [m.user.email for m in r.context["page"].object_list]  # noqa: E731
    assert names(client.get(url)) == [
        "admin@acme.test",
        "member@acme.test",
        "member2@acme.test",
        "manager@acme.test",
    ]
    assert names(client.get(url, {"q": "carol"})) == ["member2@acme.test"]
    assert names(client.get(url, {"role": "manager"})) == ["manager@acme.test"]
    # A unit filter includes its sub-units.
    assert names(client.get(url, {"unit": cast.engineering.pk})) == [
        "member@acme.test",
        "member2@acme.test",
        "manager@acme.test",
    ]
    # Another organisation's unit id is ignored, not an error.
    assert len(names(client.get(url, {"unit": cast.other_unit.pk}))) == 4


def test_it_returns_only_the_results_for_htmx(cast, login):
    response = login(cast.member).get(
        reverse("orgs:people", args=[cast.org.slug]), {"q": "bob"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results"') and "Bob Member" in html


def test_it_changes_role_unit_and_manager(cast, login):
    response = edit(
        cast,
        login(cast.admin),
        cast.member,
        role=Role.MANAGER,
        unit=cast.engineering.pk,
        manager=cast.admin.pk,
        title="Staff engineer",
    )
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        person = Membership.objects.get(pk=cast.member.pk)
    assert (person.role, person.unit_id, person.manager_id, person.title) == (
        Role.MANAGER,
        cast.engineering.pk,
        cast.admin.pk,
        "Staff engineer",
    )


def test_it_refuses_a_reporting_cycle(cast, login):
    # admin <- manager <- member: the admin may not report to the member.
    response = edit(cast, login(cast.admin), cast.admin, manager=cast.member.pk)
    assert response.status_code == 400
    assert REPORTING_CYCLE.format(name=cast.member.display_name) in response.content.decode()
    with tenant_context(cast.org.pk):
        assert Membership.objects.get(pk=cast.admin.pk).manager_id is None


def test_it_refuses_a_person_as_their_own_manager(cast, login):
    response = edit(cast, login(cast.admin), cast.member, manager=cast.member.pk)
    assert response.status_code == 400
    assert SELF_MANAGER in response.content.decode()


def test_it_refuses_a_manager_from_another_organisation(cast, login):
    response = edit(cast, login(cast.admin), cast.member, manager=cast.other_manager.pk)
    assert response.status_code == 400
    with tenant_context(cast.org.pk):
        assert Membership.objects.get(pk=cast.member.pk).manager_id == cast.manager.pk


def test_it_keeps_at_least_one_admin(cast, login):
    response = edit(cast, login(cast.admin), cast.admin, role=Role.MEMBER)
    assert response.status_code == 400
    assert LAST_ADMIN in response.content.decode()


def test_it_deactivates_a_person_keeping_their_history(cast, login, client):
    with tenant_context(cast.org.pk):
        api_token_create(membership=cast.manager, name="script")
    login(cast.admin).post(
        reverse("orgs:person_set_active", args=[cast.org.slug, cast.manager.pk]), {"active": "0"}
    )
    with tenant_context(cast.org.pk):
        manager = Membership.objects.get(pk=cast.manager.pk)
        assert manager.is_active is False
        # Their reports now report to their own manager; their tokens stop working.
        assert Membership.objects.get(pk=cast.member.pk).manager_id == cast.admin.pk
        assert not ApiToken.objects.filter(membership=manager, revoked_at__isnull=True).exists()
    # They can no longer open the organisation, and are listed as deactivated.
    login(cast.manager)
    assert client.get(reverse("orgs:people", args=[cast.org.slug])).status_code == 404
    listed = login(cast.admin).get(
        reverse("orgs:people", args=[cast.org.slug]), {"status": "inactive"}
    )
    assert [m.pk for m in listed.context["page"].object_list] == [cast.manager.pk]


def test_it_lets_only_admins_edit_people(cast, login):
    response = edit(cast, login(cast.manager), cast.member, role=Role.ADMIN)
    assert response.status_code == 403

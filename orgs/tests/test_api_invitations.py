"""The API's invitations: the only way the API brings someone into an organisation."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from core.tenancy import tenant_context
from orgs import services
from orgs.api import ADMIN_ONLY
from orgs.models import Invitation, Membership
from orgs.tests.test_api import api, url


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run a request and what it sends after the commit."""

    def _sent(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return _sent


def _invitations(org) -> list[Invitation]:
    with tenant_context(org.pk):
        return list(Invitation.objects.filter(org=org, accepted_at__isnull=True))


def test_an_existing_account_is_invited_not_added(cast, sent):
    client = api(cast.admin)
    body = {"email": "Admin@Globex.test", "role": "manager", "unit": cast.platform.pk}

    response = sent(client.post, url(cast.org, "invitations/"), body, format="json")

    assert response.status_code == 201
    assert {k: response.json()[k] for k in ("email", "role", "unit", "is_expired")} == {
        "email": "admin@globex.test",
        "role": "manager",
        "unit": cast.platform.pk,
        "is_expired": False,
    }
    with tenant_context(cast.org.pk):
        assert not Membership.objects.filter(org=cast.org, user=cast.other_admin.user).exists()
    assert mail.outbox[0].to == ["admin@globex.test"]
    assert "token" not in str(response.json()).lower()
    listed = client.get(url(cast.org, "invitations/")).json()
    assert [i["email"] for i in listed["results"]] == ["admin@globex.test"]


def test_it_refuses_a_member_and_bad_input_with_field_errors(cast):
    client = api(cast.admin)
    member = client.post(
        url(cast.org, "invitations/"), {"email": "member@acme.test"}, format="json"
    )
    bad = client.post(
        url(cast.org, "invitations/"),
        {"email": "nope", "role": "boss", "unit": cast.other_unit.pk},
        format="json",
    )
    assert member.status_code == 400
    assert member.json() == {"email": [services.ALREADY_MEMBER.format(email="member@acme.test")]}
    assert bad.status_code == 400
    assert set(bad.json()) == {"email", "role", "unit"}
    assert bad.json()["unit"] == [services.OTHER_ORG]
    assert _invitations(cast.org) == []


def test_it_sends_again_and_withdraws(cast, sent):
    client = api(cast.admin)
    created = sent(client.post, url(cast.org, "invitations/"), {"email": "x@example.test"})
    pk = created.json()["id"]
    first = re.search(r"/join/([\w-]+)/", mail.outbox[-1].body).group(1)

    shown = client.get(url(cast.org, f"invitations/{pk}/"))
    again = sent(client.post, url(cast.org, f"invitations/{pk}/resend/"))
    second = re.search(r"/join/([\w-]+)/", mail.outbox[-1].body).group(1)
    gone = client.delete(url(cast.org, f"invitations/{pk}/"))

    assert shown.json()["email"] == "x@example.test"
    assert again.status_code == 200 and second != first
    assert gone.status_code == 204
    assert _invitations(cast.org) == []
    assert client.delete(url(cast.org, f"invitations/{pk}/")).status_code == 404


@pytest.mark.parametrize("who", ["manager", "member"])
def test_it_is_for_admins_only(cast, who):
    with tenant_context(cast.org.pk):
        invitation = services.invitation_create(
            org=cast.org, invited_by=cast.admin, email="x@example.test"
        )
    client = api(getattr(cast, who))
    for method, rest in [
        ("get", "invitations/"),
        ("post", "invitations/"),
        ("delete", f"invitations/{invitation.pk}/"),
        ("post", f"invitations/{invitation.pk}/resend/"),
    ]:
        response = getattr(client, method)(url(cast.org, rest), {"email": "y@example.test"})
        assert response.status_code == 403, (method, rest)
        assert response.json() == {"detail": ADMIN_ONLY}
    assert [i.email for i in _invitations(cast.org)] == ["x@example.test"]


def test_another_organisations_invitation_is_like_a_missing_one(cast):
    with tenant_context(cast.other_org.pk):
        theirs = services.invitation_create(
            org=cast.other_org, invited_by=cast.other_admin, email="x@example.test"
        )
    client = api(cast.admin)
    assert client.get(url(cast.org, f"invitations/{theirs.pk}/")).status_code == 404
    assert client.delete(url(cast.org, f"invitations/{theirs.pk}/")).status_code == 404
    assert client.post(url(cast.org, f"invitations/{theirs.pk}/resend/")).status_code == 404
    assert client.get(url(cast.org, "invitations/")).json()["results"] == []
    assert len(_invitations(cast.other_org)) == 1

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from orgs.models import Invitation, Membership, Role, User
from orgs.services import ALREADY_MEMBER


@pytest.fixture
def invite(cast, login, django_capture_on_commit_callbacks):
    """The admin invites someone through the page; returns the emailed link's path."""

    def _invite(email: str = "dana@example.test", **extra) -> str:
        data = {
            "email": email,
            "full_name": "Dana New",
            "role": Role.MEMBER,
            "unit": cast.platform.pk,
            "manager": cast.manager.pk,
            **extra,
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = login(cast.admin).post(
                reverse("orgs:person_invite", args=[cast.org.slug]), data
            )
        assert response.status_code == 302, response.content.decode()
        body = mail.outbox[-1].body
        return re.search(r"https?://[^/\s]+(/o/acme/join/[\w-]+/)", body).group(1)

    return _invite


def test_it_emails_a_one_time_link_after_the_transaction_commits(
    cast, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        login(cast.admin).post(
            reverse("orgs:person_invite", args=[cast.org.slug]),
            {"email": "x@example.test", "role": "member"},
        )
    assert mail.outbox == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    assert mail.outbox[0].to == ["x@example.test"]
    assert "You are invited to Acme" in mail.outbox[0].subject


def test_a_new_person_accepts_sets_a_password_and_lands_in_the_org(cast, client, invite):
    link = invite()
    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "dana@example.test" in page.content.decode()
    response = client.post(
        link,
        {
            "full_name": "Dana New",
            "password1": "a-long-pass-phrase",
            "password2": "a-long-pass-phrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:org_home", args=[cast.org.slug])
    assert client.get(response["Location"]).status_code == 200
    with tenant_context(cast.org.pk):
        member = Membership.objects.select_related("user").get(user__email="dana@example.test")
    assert (member.role, member.unit_id, member.manager_id) == (
        Role.MEMBER,
        cast.platform.pk,
        cast.manager.pk,
    )
    assert member.user.check_password("a-long-pass-phrase")
    # The link works once.
    client.logout()
    assert client.get(link).status_code == 410


def test_it_refuses_a_weak_or_mismatched_password(cast, client, invite):
    link = invite()
    client.logout()
    response = client.post(link, {"full_name": "D", "password1": "short", "password2": "short"})
    assert response.status_code == 400
    response = client.post(
        link,
        {"full_name": "D", "password1": "a-long-pass-phrase", "password2": "another-pass-phrase"},
    )
    assert "The two passwords differ." in response.content.decode()
    assert not User.objects.filter(email="dana@example.test").exists()


def test_an_existing_user_joins_a_second_organisation(cast, client, invite):
    link = invite(email=cast.other_member.user.email)
    client.force_login(cast.other_member.user, backend="django.contrib.auth.backends.ModelBackend")
    assert "Join Acme" in client.get(link).content.decode()
    assert client.post(link).status_code == 302
    home = client.get(reverse("home"))
    assert [m.org.slug for m in home.context["memberships"]] == ["acme", "globex"]


def test_it_refuses_to_invite_an_existing_member(cast, login):
    response = login(cast.admin).post(
        reverse("orgs:person_invite", args=[cast.org.slug]),
        {"email": "MEMBER@acme.test", "role": "member"},
    )
    assert response.status_code == 400
    assert ALREADY_MEMBER.format(email="member@acme.test") in response.content.decode()


def test_it_refuses_a_bad_email(cast, login):
    response = login(cast.admin).post(
        reverse("orgs:person_invite", args=[cast.org.slug]),
        {"email": "not-an-email", "role": "member"},
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    with tenant_context(cast.org.pk):
        assert not Invitation.objects.exists()


def test_an_expired_invitation_cannot_be_used(cast, client, invite):
    link = invite()
    with tenant_context(cast.org.pk):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    client.logout()
    assert client.get(link).status_code == 410
    assert (
        client.post(
            link,
            {
                "full_name": "D",
                "password1": "a-long-pass-phrase",
                "password2": "a-long-pass-phrase",
            },
        ).status_code
        == 410
    )


def test_a_wrong_token_is_404(cast, client):
    assert (
        client.get(reverse("orgs:invitation_accept", args=[cast.org.slug, "made-up"])).status_code
        == 404
    )

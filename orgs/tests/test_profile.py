from __future__ import annotations

from django.urls import reverse

from orgs.models import User
from orgs.services import NAME_REQUIRED


def url(cast) -> str:
    return reverse("orgs:profile", args=[cast.org.slug])


def test_it_shows_the_persons_place_in_the_organisation(cast, login):
    response = login(cast.member).get(url(cast))
    assert response.status_code == 200
    html = response.content.decode()
    for shown in ("member@acme.test", "Member", "Platform", cast.manager.display_name):
        assert shown in html
    assert 'aria-current="page">Your profile</a>' in html


def test_it_renames_the_person(cast, login):
    response = login(cast.member).post(url(cast), {"full_name": "  Robert Member  "})
    assert response.status_code == 302
    assert User.objects.get(pk=cast.member.user_id).full_name == "Robert Member"


def test_it_refuses_an_empty_name(cast, login):
    response = login(cast.member).post(url(cast), {"full_name": "   "})
    assert response.status_code == 400
    assert NAME_REQUIRED in response.content.decode()
    assert User.objects.get(pk=cast.member.user_id).full_name == "Bob Member (Acme)"


def test_it_only_ever_renames_the_signed_in_person(cast, login):
    # Even an admin, naming someone else in every way a form could.
    other = cast.member2
    response = login(cast.admin).post(
        url(cast),
        {
            "full_name": "Renamed",
            "user": other.user_id,
            "email": other.user.email,
            "membership": other.pk,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=other.user_id).full_name == "Carol Member (Acme)"
    assert User.objects.get(pk=cast.admin.user_id).full_name == "Renamed"


def test_it_is_linked_from_every_organisation_page(cast, login):
    html = login(cast.member).get(reverse("orgs:org_home", args=[cast.org.slug])).content.decode()
    assert f'href="{url(cast)}"' in html


def password_url(cast) -> str:
    return reverse("orgs:password_change", args=[cast.org.slug])


NEW_PASSWORD = "a-fresh-long-passphrase"


def test_it_changes_the_persons_password_and_keeps_them_signed_in(cast, client, login):
    from conftest import PASSWORD
    from orgs.views_profile import PASSWORD_CHANGED

    other_device = signed_in_elsewhere(cast)
    response = login(cast.member).post(
        password_url(cast),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain == [(url(cast), 302)]
    assert PASSWORD_CHANGED in response.content.decode()
    assert User.objects.get(pk=cast.member.user_id).check_password(NEW_PASSWORD)
    # This session stays signed in; another one with the old password is signed out.
    assert client.get(url(cast)).status_code == 200
    assert other_device.get(url(cast)).status_code == 302


def signed_in_elsewhere(cast):
    """Another browser, signed in as the member with their password."""
    from django.test import Client

    from conftest import PASSWORD

    other = Client()
    other.post(reverse("login"), {"username": cast.member.user.email, "password": PASSWORD})
    assert other.get(url(cast)).status_code == 200
    return other


def test_it_refuses_a_wrong_current_password_or_mismatched_new_ones(cast, login):
    from conftest import PASSWORD

    client = login(cast.member)
    wrong = client.post(
        password_url(cast),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 400
    assert "Your old password was entered incorrectly" in wrong.content.decode()
    mismatched = client.post(
        password_url(cast),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other-one-x"},
    )
    assert mismatched.status_code == 400
    assert "The two password fields didn’t match." in mismatched.content.decode()
    weak = client.post(
        password_url(cast),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert weak.status_code == 400
    assert "This password is too short." in weak.content.decode()
    assert User.objects.get(pk=cast.member.user_id).check_password(PASSWORD)

from __future__ import annotations

from django.urls import reverse

from orgs.models import User
from orgs.services import NAME_REQUIRED


def url(cast) -> str:
    return reverse("profile", args=[cast.org.slug])


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
    html = login(cast.member).get(reverse("org_home", args=[cast.org.slug])).content.decode()
    assert f'href="{url(cast)}"' in html

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher
from django.core import mail
from django.urls import reverse

from conftest import PASSWORD
from orgs.models import User


def test_it_logs_in_by_email_and_lands_in_the_only_organisation(cast, client):
    response = client.post(
        reverse("login"), {"username": "Member@Acme.test", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("orgs:org_home", args=["acme"])
    assert "Bob Member (Acme)" in response.content.decode()


def test_it_refuses_a_wrong_password_with_a_message(cast, client):
    response = client.post(reverse("login"), {"username": "member@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()


def test_it_locks_out_after_repeated_failures(cast, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "member@acme.test", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "member@acme.test", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()


def test_it_sends_anonymous_visitors_of_an_org_page_to_the_login(cast, client):
    response = client.get(reverse("orgs:people", args=["acme"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=/o/acme/people/")


def test_a_person_in_two_organisations_chooses_and_switches(cast, client, login):
    from orgs.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(org=cast.other_org, user=cast.member.user, role=Role.MEMBER)
    login(cast.member)
    home = client.get(reverse("home"))
    assert [m.org.name for m in home.context["memberships"]] == ["Acme", "Globex"]
    page = client.get(reverse("orgs:people", args=["globex"])).content.decode()
    assert 'href="/o/acme/"' in page  # the switcher links to the other organisation


def test_it_resets_a_forgotten_password_by_email(cast, client):
    client.post(reverse("password_reset"), {"email": "member@acme.test"})
    link = re.search(r"http://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
    )
    assert response.status_code == 302
    assert User.objects.get(email="member@acme.test").check_password("brand-new-passphrase")


def test_production_hashes_passwords_with_argon2(db, settings):
    from config import settings as production

    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS
    user = User.objects.create_user(email="argon@example.test", password="x-long-password")
    assert identify_hasher(user.password).algorithm == "argon2"
    encoded = Argon2PasswordHasher().encode("secret", Argon2PasswordHasher().salt())
    assert identify_hasher(encoded).algorithm == "argon2"


def test_the_user_model_logs_in_with_email(db):
    assert User.USERNAME_FIELD == "email"
    user = User.objects.create_user(email="Someone@Example.TEST", password="x-long-password")
    assert user.email == "someone@example.test"

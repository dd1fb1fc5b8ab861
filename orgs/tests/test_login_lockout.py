"""The log-in lock-out counts failures per person, whatever case the email is typed in."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from conftest import PASSWORD

LOCKED = "Too many failed log-ins"
VARIANTS = [
    "member@acme.test",
    "Member@acme.test",
    "MEMBER@ACME.TEST",
    "member@Acme.Test",
    " mEmBeR@acme.test ",
    "memBER@acme.TEST",
]


def _attempt(client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_it_locks_the_person_out_when_failures_change_the_emails_case(cast, client):
    for variant in VARIANTS[: settings.AXES_FAILURE_LIMIT - 1]:
        assert LOCKED not in _attempt(client, variant, "wrong").content.decode()
    _attempt(client, VARIANTS[-1], "wrong")
    for variant in VARIANTS:
        response = _attempt(client, variant, PASSWORD)
        assert response.status_code == 429, variant
        assert LOCKED in response.content.decode()


def test_failures_below_the_limit_in_any_case_still_let_the_right_password_in(cast, client):
    for variant in VARIANTS[: settings.AXES_FAILURE_LIMIT - 1]:
        _attempt(client, variant, "wrong")
    response = _attempt(client, "MEMBER@ACME.TEST", PASSWORD)
    assert response.status_code == 302


def test_another_persons_failures_do_not_lock_this_person(cast, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, "Member2@acme.test", "wrong")
    assert _attempt(client, "Member@Acme.test", PASSWORD).status_code == 302

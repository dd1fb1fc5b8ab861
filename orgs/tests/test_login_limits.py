"""The log-in form refuses an email longer than any account's before authenticating."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.urls import reverse


def test_it_refuses_an_email_longer_than_an_account_can_have(cast, client):
    username = "a" * 10_000 + "@acme.test"
    response = client.post(reverse("login"), {"username": username, "password": "nope"})
    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    # Never authenticated, so django-axes stored nothing (on PostgreSQL it could not).
    assert not AccessAttempt.objects.exists()


def test_it_still_counts_a_wrong_password(cast, client):
    client.post(reverse("login"), {"username": "member@acme.test", "password": "nope"})
    assert AccessAttempt.objects.get().username == "member@acme.test"

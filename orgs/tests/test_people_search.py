from __future__ import annotations

import re

from django.urls import reverse

from core.tenancy import tenant_context
from orgs.models import Membership, User
from tests.test_query_counts import request_queries


def search(cast, client, q: str) -> list[str]:
    """The emails offered for ``q``, in order."""
    response = client.get(reverse("orgs:people_search", args=[cast.org.slug]), {"q": q})
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]+)">', response.content.decode())


def add_engineers(cast, count: int) -> None:
    users = User.objects.bulk_create(
        User(email=f"engineer{i}@acme.test", full_name=f"Engineer {i:03d}", password="!")
        for i in range(count)
    )
    with tenant_context(cast.org.pk):
        Membership.objects.bulk_create(
            Membership(org=cast.org, user=user, title="Engineer") for user in users
        )


def test_it_matches_by_name_and_by_email(cast, login):
    client = login(cast.member)
    assert search(cast, client, "carol") == ["member2@acme.test"]
    assert search(cast, client, "MANAGER@acme") == ["manager@acme.test"]


def test_it_reads_the_manager_pickers_own_value(cast, login):
    response = login(cast.member).get(
        reverse("orgs:people_search", args=[cast.org.slug]), {"manager": "carol"}
    )
    assert 'value="member2@acme.test"' in response.content.decode()


def test_it_labels_each_person_with_name_email_and_title(cast, login):
    response = login(cast.member).get(
        reverse("orgs:people_search", args=[cast.org.slug]), {"q": "mallory"}
    )
    assert response.content.decode() == (
        '<option value="manager@acme.test">'
        "Mallory Manager (Acme) (manager@acme.test) · Head of Engineering</option>"
    )


def test_it_offers_at_most_twenty_people(cast, login):
    add_engineers(cast, 25)
    found = search(cast, login(cast.member), "engineer")
    assert len(found) == 20 and found[0] == "engineer0@acme.test"


def test_it_leaves_out_inactive_people_and_other_organisations(cast, login):
    with tenant_context(cast.org.pk):
        Membership.objects.filter(pk=cast.member2.pk).update(is_active=False)
    client = login(cast.member)
    assert search(cast, client, "member") == ["member@acme.test"]
    assert search(cast, client, "globex") == []


def test_it_offers_nothing_for_an_empty_search(cast, login):
    assert search(cast, login(cast.member), " ") == []


def test_it_searches_in_one_query_however_many_match(cast, login, django_assert_num_queries):
    client = login(cast.member)
    for count in (0, 30):
        add_engineers(cast, count)
        # the matching people with their accounts
        with django_assert_num_queries(request_queries() + 1):
            search(cast, client, "engineer")

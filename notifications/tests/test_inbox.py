"""The bell and the inbox: the signed-in person's own notifications, constant queries."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from core.tenancy import tenant_context
from goals import services as goal_services
from goals.access import Actor
from notifications.models import Kind, Notification
from notifications.views import PER_PAGE

HTMX = {"HTTP_HX_REQUEST": "true"}


def bell(html: str) -> str | None:
    found = re.search(r'data-testid="bell-count">(\d+)<', html)
    return found.group(1) if found else None


def add(cast, count: int, recipient=None) -> None:
    with tenant_context(cast.org.pk):
        Notification.objects.bulk_create(
            Notification(
                org=cast.org,
                recipient=recipient or cast.member,
                actor=cast.manager,
                kind=Kind.GOAL_APPROVED,
                email_state="sent",
            )  # fmt: skip
            for _ in range(count)
        )


def test_an_approval_puts_an_entry_in_the_owners_inbox_and_raises_the_bell(
    cast, submitted_goal, login, django_capture_on_commit_callbacks
):
    client = login(cast.member)
    assert (
        bell(client.get(reverse("goals:my_goals", args=[cast.org.slug])).content.decode()) is None
    )
    with django_capture_on_commit_callbacks(execute=True), tenant_context(cast.org.pk):
        goal_services.goal_approve(actor=Actor(cast.manager), goal=submitted_goal)
    page = client.get(reverse("notifications:notifications", args=[cast.org.slug])).content.decode()
    assert bell(page) == "1"
    assert "Mallory Manager (Acme) approved your goal “Onboard ten teams”" in page
    assert reverse("goals:goal_detail", args=[cast.org.slug, submitted_goal.pk]) in page


def test_mark_as_read_swaps_the_row_and_the_bell(cast, login):
    add(cast, 2)
    client = login(cast.member)
    with tenant_context(cast.org.pk):
        first = Notification.objects.filter(recipient=cast.member).first()
    url = reverse("notifications:notification_read", args=[cast.org.slug, first.pk])
    response = client.post(url, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{first.pk}" class="notification"' in html  # no longer unread
    assert 'id="bell"' in html and 'hx-swap-oob="true"' in html and bell(html) == "1"
    client.post(reverse("notifications:notifications_read_all", args=[cast.org.slug]))
    assert (
        bell(
            client.get(
                reverse("notifications:notifications", args=[cast.org.slug])
            ).content.decode()
        )
        is None
    )


def test_someone_elses_notification_is_404(cast, login):
    add(cast, 1, recipient=cast.manager)
    with tenant_context(cast.org.pk):
        theirs = Notification.objects.get(recipient=cast.manager)
    client = login(cast.member)
    response = client.post(
        reverse("notifications:notification_read", args=[cast.org.slug, theirs.pk])
    )
    assert response.status_code == 404
    with tenant_context(cast.org.pk):
        assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_inbox_pages_through_notifications(cast, login):
    add(cast, PER_PAGE + 3)
    client = login(cast.member)
    first = client.get(
        reverse("notifications:notifications", args=[cast.org.slug])
    ).content.decode()
    second = client.get(
        reverse("notifications:notifications", args=[cast.org.slug]) + "?page=2"
    ).content.decode()
    assert first.count('class="notification unread"') == PER_PAGE
    assert second.count('class="notification unread"') == 3
    assert "Page 2 of 2" in second


@pytest.mark.parametrize("count", [5, 60])
def test_the_inbox_runs_the_same_queries_at_any_size(cast, login, count, django_assert_num_queries):
    add(cast, count)
    client = login(cast.member)
    rls = 2 if connection.vendor == "postgresql" else 0
    # SAVEPOINT, organisation, session, user, membership, RELEASE SAVEPOINT (+ RLS);
    # the page count, the page's notifications with actor, goal, owner and parent;
    # the organisation switcher with its unread counts (which is the bell).
    with django_assert_num_queries(6 + rls + 3):
        response = client.get(reverse("notifications:notifications", args=[cast.org.slug]))
    assert response.status_code == 200


def test_a_request_for_changes_reads_as_a_whole_sentence_with_the_actions_beside_it(
    cast, submitted_goal, login, django_capture_on_commit_callbacks
):
    """The email quotes the comment after a colon; the inbox, which does not, ends the
    sentence (the goal page shows the comment on top)."""
    with django_capture_on_commit_callbacks(execute=True), tenant_context(cast.org.pk):
        goal_services.goal_request_changes(
            actor=Actor(cast.manager), goal=submitted_goal, comment="Name the ten teams."
        )
    page = login(cast.member).get(reverse("notifications:notifications", args=[cast.org.slug]))
    html = page.content.decode()
    assert "asked for changes to your goal “Onboard ten teams”.</a>" in html
    # The mark-all form sits in a block that may hold a form (a <p> cannot).
    assert '<div class="actions">' in html and '<p class="actions">' not in html

"""Generated from the URL conf: another organisation's objects answer 404.

Every URL under an organisation is requested by the admin of the *other*
organisation, with every method. A new URL is covered without anyone listing
it; a new kind of object in a URL must get an entry in OBJECTS.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from core.tenancy import tenant_context
from notifications.models import Kind, Notification
from orgs.services import api_token_create, invitation_create

METHODS = ["get", "post", "put", "patch", "delete"]
MISSING = {"int": "987654321", "str": "no-such-thing", "slug": "no-such-thing"}


def org_patterns() -> list[tuple[str, object]]:
    """(route, view) for every URL whose route names an organisation."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and "<slug:org_slug>" in route:
                found.append((route, p.callback))

    walk(get_resolver().url_patterns, "/")
    return found


ORG_PATTERNS = org_patterns()


def objects_of(cast, on_commit) -> dict[str, str]:
    """One object of the cast's first organisation for each kind of URL parameter."""
    with tenant_context(cast.org.pk), on_commit(execute=True):
        token, _ = api_token_create(membership=cast.admin, name="script")
        invitation = invitation_create(
            org=cast.org, invited_by=cast.admin, email="someone@acme.test"
        )
    from django.core import mail

    link = re.search(r"/join/([\w-]+)/", mail.outbox[-1].body)
    goal = goal_objects(cast)
    with tenant_context(cast.org.pk):
        key_result = goal.key_results.get()
        milestone = key_result.milestones.get()
        notification = Notification.objects.create(
            org=cast.org, recipient=cast.admin, kind=Kind.GOAL_APPROVED, goal=goal
        )
    kpi = kpi_objects(cast)
    with tenant_context(cast.org.pk):
        measurement = kpi.measurements.first()
    people = feedback_objects(cast, goal)
    return {
        **people,
        "goal_pk": str(goal.pk),
        "kr_pk": str(key_result.pk),
        "milestone_pk": str(milestone.pk),
        "cycle_pk": str(goal.cycle_id),
        "unit_pk": str(cast.engineering.pk),
        "membership_pk": str(cast.member.pk),
        "token_pk": str(token.pk),
        "token": link.group(1),
        "invitation_pk": str(invitation.pk),
        "notification_pk": str(notification.pk),
        "kpi_pk": str(kpi.pk),
        "measurement_pk": str(measurement.pk),
    }


def feedback_objects(cast, goal) -> dict[str, str]:
    """Feedback, a request, a comment, a company value and kudos in the first organisation."""
    from feedback.models import (
        Comment,
        CompanyValue,
        Feedback,
        FeedbackRequest,
        Recognition,
        RecognitionRecipient,
    )

    with tenant_context(cast.org.pk):
        request = FeedbackRequest.objects.create(
            org=cast.org, requester=cast.member, about=cast.member, asked=cast.admin, goal=goal
        )
        feedback = Feedback.objects.create(
            org=cast.org, giver=cast.admin, recipient=cast.member, body="Good", goal=goal
        )
        comment = Comment.objects.create(org=cast.org, author=cast.admin, goal=goal, body="Hi")
        value = CompanyValue.objects.create(org=cast.org, name="Customers first")
        kudos = Recognition.objects.create(
            org=cast.org, giver=cast.admin, message="Great launch", value=value
        )
        RecognitionRecipient.objects.create(org=cast.org, recognition=kudos, person=cast.member)
    return {
        "feedback_pk": str(feedback.pk),
        "request_pk": str(request.pk),
        "comment_pk": str(comment.pk),
        "value_pk": str(value.pk),
        "recognition_pk": str(kudos.pk),
    }


def goal_objects(cast):
    """A public cycle, goal, key result and milestone in the first organisation."""
    from datetime import timedelta

    from django.utils import timezone

    from goals import services as goal_services
    from goals.access import Actor
    from goals.models import Cycle, GoalStatus, Level

    today = timezone.localdate()
    with tenant_context(cast.org.pk):
        cycle = Cycle.objects.create(
            org=cast.org, name="Q", start=today - timedelta(days=10), end=today + timedelta(days=80)
        )
        return goal_services.goal_create(
            actor=Actor(cast.admin),
            cycle=cycle,
            level=Level.ORGANISATION,
            title="Grow revenue",
            status=GoalStatus.APPROVED,
            key_results=[{"title": "Launches", "kind": "milestones", "milestones": ["Beta"]}],
        )


def kpi_objects(cast):
    """A public KPI of the first organisation's member, with three values."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from goals.access import Actor
    from kpis import services as kpi_services

    now = timezone.now()
    with tenant_context(cast.org.pk):
        kpi = kpi_services.create_kpi(
            actor=Actor(cast.member),
            name="Uptime",
            target=Decimal(99),
            amber_threshold=Decimal(98),
            red_threshold=Decimal(95),
        )
        rows = [
            kpi_services.Row(value=90 + n, measured_at=now - timedelta(days=n)) for n in (3, 2, 1)
        ]
        kpi_services.record_measurements(actor=Actor(cast.member), kpi=kpi, rows=rows)
        return kpi


def build(route: str, values: dict[str, str]) -> str:
    def replace(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if name not in values:
            raise AssertionError(f"No object for URL parameter <{converter}:{name}> in {route}")
        return values[name]

    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: replace(m) if m.group(1) else m.group(0), route)


def test_it_finds_the_organisation_urls():
    routes = [route for route, _ in ORG_PATTERNS]
    assert "/o/<slug:org_slug>/units/<int:unit_pk>/edit/" in routes
    assert any(route.startswith("/api/v1/orgs/") for route in routes)


@pytest.mark.parametrize("route,view", ORG_PATTERNS, ids=[r for r, _ in ORG_PATTERNS])
def test_another_organisation_gets_404_for_each_method(
    cast, client, django_capture_on_commit_callbacks, route, view
):
    client.force_login(cast.other_admin.user, backend="django.contrib.auth.backends.ModelBackend")
    objects = objects_of(cast, django_capture_on_commit_callbacks)
    foreign = build(route, {"org_slug": cast.org.slug, **objects})
    if not getattr(view, "tenant_public", False):
        # Someone outside the organisation: 404, whatever the method.
        for method in METHODS:
            response = getattr(client, method)(foreign)
            assert response.status_code == 404, f"{method.upper()} {foreign}"
    names = re.findall(r"<(\w+):(\w+)>", route)
    if len(names) == 1:
        return
    # Their own organisation's URL with our objects' ids: exactly as if missing.
    own = {"org_slug": cast.other_org.slug}
    smuggled = build(route, {**own, **objects})
    ids = {name: MISSING[conv] for conv, name in names if name != "org_slug"}
    missing = build(route, {**own, **ids})
    for method in METHODS:
        got = getattr(client, method)(smuggled)
        expected = getattr(client, method)(missing)
        assert got.status_code == expected.status_code, f"{method.upper()} {smuggled}"
        assert got.status_code in (404, 405), f"{method.upper()} {smuggled}: {got.status_code}"
    assert client.get(smuggled).status_code == 404 or client.post(smuggled).status_code == 404

"""Who reads a feedback's content: every visibility × every relationship to the recipient,
checked through the object rule and the query, which must agree."""

from __future__ import annotations

import pytest

from core.tenancy import tenant_context
from feedback.access import may_read, readable_feedback
from feedback.models import Feedback, FeedbackVisibility
from goals.access import Actor
from orgs.models import Role
from tests.factories import MembershipFactory

V = FeedbackVisibility
# Relationship of the viewer to a feedback Carol gave Bob -> the visibilities they may read.
EXPECTED = {
    "giver": {V.PRIVATE, V.MANAGERS, V.PUBLIC},
    "recipient": {V.PRIVATE, V.MANAGERS, V.PUBLIC},
    "recipient's manager": {V.MANAGERS, V.PUBLIC},
    "recipient's manager's manager (an admin)": {V.MANAGERS, V.PUBLIC},
    "same unit": {V.PUBLIC},
    "other unit": {V.PUBLIC},
    "admin outside the chain": {V.PUBLIC},
    "other organisation": set(),
}


@pytest.fixture
def people(cast):
    with tenant_context(cast.org.pk):
        peer = MembershipFactory(org=cast.org, unit=cast.platform, manager=cast.manager)
        outsider = MembershipFactory(org=cast.org, unit=cast.company)
        admin2 = MembershipFactory(org=cast.org, unit=cast.company, role=Role.ADMIN)
    return {
        "giver": cast.member2,
        "recipient": cast.member,
        "recipient's manager": cast.manager,
        "recipient's manager's manager (an admin)": cast.admin,
        "same unit": peer,
        "other unit": outsider,
        "admin outside the chain": admin2,
        "other organisation": cast.other_admin,
    }


@pytest.fixture
def feedback(cast):
    with tenant_context(cast.org.pk):
        return {
            visibility: Feedback.objects.create(
                org=cast.org,
                giver=cast.member2,
                recipient=cast.member,
                body=f"Thanks for the {visibility} help with the release.",
                visibility=visibility,
            )
            for visibility in V
        }


@pytest.mark.parametrize("relationship", list(EXPECTED))
def test_each_relationship_reads_exactly_what_the_visibility_grants(
    cast, people, feedback, relationship
):
    viewer = people[relationship]
    actor = Actor(viewer)
    with tenant_context(viewer.org_id):
        by_rule = {v for v, item in feedback.items() if may_read(actor, item)}
        by_query = {
            v
            for v, item in feedback.items()
            if readable_feedback(actor).filter(pk=item.pk).exists()
        }
    assert by_rule == EXPECTED[relationship]
    assert by_query == EXPECTED[relationship]


def test_nobody_gives_feedback_to_themselves(cast):
    from django.db import IntegrityError, transaction

    with tenant_context(cast.org.pk), pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.create(org=cast.org, giver=cast.member, recipient=cast.member, body="me")


def test_someone_with_no_reports_reads_no_managers_feedback_about_member_1(cast):
    """The empty-subtree placeholder id never matches a real recipient (here id 1)."""
    from orgs.models import Membership

    with tenant_context(cast.org.pk):
        first = Membership.objects.filter(pk=1).first() or MembershipFactory(org=cast.org, pk=1)
        assert first.org_id == cast.org.pk
        giver = cast.member2 if first.pk != cast.member2.pk else cast.member
        viewer = MembershipFactory(org=cast.org, unit=cast.company)
        item = Feedback.objects.create(
            org=cast.org, giver=giver, recipient=first, body="Well led.", visibility=V.MANAGERS
        )
        actor = Actor(viewer)
        assert not actor.subtree
        assert not may_read(actor, item)
        assert not readable_feedback(actor).filter(pk=item.pk).exists()

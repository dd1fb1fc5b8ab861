"""The feedback, requests, threads, values and kudos seed_demo adds (devtools.demo_feedback)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from core.tenancy import tenant_context
from devtools import demo_feedback
from feedback.models import (
    Comment,
    CommentRevision,
    CompanyValue,
    Feedback,
    FeedbackRequest,
    FeedbackRevision,
    FeedbackVisibility,
    Mention,
    Reaction,
    Recognition,
    RecognitionGoal,
    RecognitionRecipient,
)
from goals.access import Actor
from goals.models import Cycle, Visibility
from orgs.models import Membership, Organization

pytestmark = pytest.mark.django_db

SLUGS = ("acme", "globex")


@dataclass
class Seeded:
    """One organisation's people and everything demo_feedback wrote for it."""

    org: Organization
    people: dict[int, Membership]
    cycle: Cycle
    values: list[CompanyValue]
    kudos: list[Recognition]
    recipients: list[RecognitionRecipient]
    kudos_goals: list[RecognitionGoal]
    reactions: list[Reaction]
    feedback: list[Feedback]
    revisions: list[FeedbackRevision]
    requests: list[FeedbackRequest]
    comments: list[Comment]
    comment_revisions: list[CommentRevision]
    mentions: list[Mention]

    def login(self, local: str) -> Membership:
        email = f"{local}@{self.org.slug}.test"
        return next(m for m in self.people.values() if m.user.email == email)


def seeded_data(slug: str) -> Seeded:
    org = Organization.objects.get(slug=slug)
    with tenant_context(org.pk):
        return Seeded(
            org=org,
            people=Membership.objects.filter(org=org).select_related("user").in_bulk(),
            cycle=Cycle.objects.get(org=org, status=Cycle.Status.ACTIVE),
            values=list(CompanyValue.objects.filter(org=org)),
            kudos=list(Recognition.objects.filter(org=org)),
            recipients=list(RecognitionRecipient.objects.filter(org=org)),
            kudos_goals=list(RecognitionGoal.objects.filter(org=org).select_related("goal")),
            reactions=list(Reaction.objects.filter(org=org)),
            feedback=list(Feedback.objects.filter(org=org).select_related("goal", "checkin__goal")),
            revisions=list(FeedbackRevision.objects.filter(org=org)),
            requests=list(FeedbackRequest.objects.filter(org=org).select_related("goal")),
            comments=list(Comment.objects.filter(org=org).select_related("goal", "checkin")),
            comment_revisions=list(CommentRevision.objects.filter(org=org)),
            mentions=list(Mention.objects.filter(org=org)),
        )


def counts(slug: str) -> dict[str, int]:
    data = seeded_data(slug)
    return {
        name: len(getattr(data, name))
        for name in (
            "values",
            "kudos",
            "recipients",
            "kudos_goals",
            "reactions",
            "feedback",
            "revisions",
            "requests",
            "comments",
            "comment_revisions",
            "mentions",
        )
    }


@pytest.fixture(params=SLUGS)
def data(request, seeded) -> Seeded:
    return seeded_data(request.param)


# --- Values and kudos ------------------------------------------------------------------


def test_it_gives_each_organisation_four_values_and_one_archived(data):
    active = [v for v in data.values if v.is_active]
    assert len(active) == 4
    assert len(data.values) == 5
    assert all(v.emoji and v.colour.startswith("#") and len(v.colour) == 7 for v in data.values)
    assert len({v.position for v in data.values}) == 5


def test_it_gives_about_thirty_kudos_over_the_cycle_so_far(data):
    now = timezone.now()
    assert 25 <= len(data.kudos) <= 35
    times = sorted(k.created_at for k in data.kudos)
    assert times[-1] <= now
    assert now - times[-1] < timedelta(days=2)  # the newest is recent
    assert times[0].date() >= data.cycle.start or now - times[0] < timedelta(days=2)
    by_kudos: dict[int, list[RecognitionRecipient]] = {}
    for r in data.recipients:
        by_kudos.setdefault(r.recognition_id, []).append(r)
    kudos = {k.pk: k for k in data.kudos}
    assert set(by_kudos) == set(kudos)
    for pk, recipients in by_kudos.items():
        assert kudos[pk].giver_id not in {r.person_id for r in recipients}
        assert all(r.created_at == kudos[pk].created_at for r in recipients)
    sizes = {len(r) for r in by_kudos.values()}
    assert 1 in sizes and sizes & {2, 3}
    with_value = sum(k.value_id is not None for k in data.kudos)
    assert 0.3 * len(data.kudos) <= with_value <= 0.7 * len(data.kudos)


def test_it_links_a_third_of_the_kudos_to_a_public_goal_of_a_recipient(data):
    assert 0.2 * len(data.kudos) <= len(data.kudos_goals) <= 0.5 * len(data.kudos)
    recipients = {(r.recognition_id, r.person_id) for r in data.recipients}
    for link in data.kudos_goals:
        assert (link.recognition_id, link.goal.owner_id) in recipients
        assert link.goal.visibility == Visibility.PUBLIC
        assert link.goal.cycle_id == data.cycle.pk
        assert link.goal.title in next(k for k in data.kudos if k.pk == link.recognition_id).message


def test_it_puts_reactions_from_several_people_on_the_kudos(data):
    assert len({r.person_id for r in data.reactions}) >= 5
    reacted = {r.recognition_id for r in data.reactions}
    assert len(reacted) >= len(data.kudos) / 2
    givers = {k.pk: k.giver_id for k in data.kudos}
    assert all(r.person_id != givers[r.recognition_id] for r in data.reactions)


def test_the_archived_value_stays_on_an_old_kudos(data):
    archived = next(v for v in data.values if not v.is_active)
    assert any(k.value_id == archived.pk for k in data.kudos)


# --- Feedback ----------------------------------------------------------------------------


def test_it_gives_about_twenty_five_feedback_and_nobody_to_themselves(data):
    assert 20 <= len(data.feedback) <= 30
    assert all(f.giver_id != f.recipient_id for f in data.feedback)
    assert all(f.giver_id in data.people and f.recipient_id in data.people for f in data.feedback)
    assert {f.visibility for f in data.feedback} == set(FeedbackVisibility.values)
    assert any(f.read_at for f in data.feedback) and any(not f.read_at for f in data.feedback)
    assert all(f.read_at is None or f.read_at >= f.created_at for f in data.feedback)
    assert all(f.created_at <= timezone.now() for f in data.feedback)


def test_feedback_about_a_goal_or_check_in_is_about_the_recipients(data):
    on_goal = [f for f in data.feedback if f.goal_id]
    on_checkin = [f for f in data.feedback if f.checkin_id]
    assert len(on_goal) >= 4 and on_checkin
    for f in on_goal:
        assert f.goal.owner_id == f.recipient_id
        assert f.goal.visibility == Visibility.PUBLIC
    for f in on_checkin:
        assert f.checkin.goal.owner_id == f.recipient_id
        assert f.checkin.goal_id == f.goal_id
        assert f.created_at > f.checkin.created_at


def test_one_feedback_was_corrected_before_it_was_read(data):
    assert len(data.revisions) == 1
    revision = data.revisions[0]
    feedback = next(f for f in data.feedback if f.pk == revision.feedback_id)
    assert revision.body != feedback.body
    assert feedback.read_at is None or feedback.read_at > revision.edited_at
    assert revision.edited_at > feedback.created_at


@pytest.mark.parametrize("login", ["admin", "manager", "member"])
def test_each_demo_login_gives_and_receives_feedback(data, login):
    person = data.login(login)
    assert any(f.giver_id == person.pk for f in data.feedback)
    assert any(f.recipient_id == person.pk for f in data.feedback)


@pytest.mark.parametrize("login", ["manager", "member"])
def test_the_member_and_manager_have_unread_feedback(data, login):
    person = data.login(login)
    assert any(f.recipient_id == person.pk and f.read_at is None for f in data.feedback)


def test_the_manager_has_a_report_without_feedback_for_thirty_days(data):
    manager = data.login("manager")
    reports = [m for m in data.people.values() if m.manager_id == manager.pk]
    month_ago = timezone.now() - timedelta(days=30)
    last: dict[int, object] = {}
    for f in data.feedback:
        last[f.recipient_id] = max(last.get(f.recipient_id, f.created_at), f.created_at)
    stale = [r for r in reports if r.pk not in last or last[r.pk] < month_ago]
    fresh = [r for r in reports if r.pk in last and last[r.pk] >= month_ago]
    assert stale and fresh
    assert data.login("member") in fresh


# --- Requests ----------------------------------------------------------------------------


def test_requests_are_waiting_for_the_member_and_the_manager(data):
    today = timezone.localdate()
    for login in ("member", "manager"):
        person = data.login(login)
        waiting = [
            r
            for r in data.requests
            if r.asked_id == person.pk and r.status == FeedbackRequest.Status.OPEN
        ]
        assert len(waiting) >= 2
        assert all(r.prompt and r.due_date and r.due_date >= today for r in waiting)
    on_goal = [r for r in data.requests if r.goal_id and r.status == FeedbackRequest.Status.OPEN]
    assert on_goal


def test_requests_follow_the_rules_of_the_service(data):
    for r in data.requests:
        assert r.asked_id != r.about_id
        if r.about_id != r.requester_id:
            with tenant_context(data.org.pk):
                assert r.about_id in Actor(data.people[r.requester_id]).subtree
        if r.goal_id:
            assert r.goal.owner_id == r.about_id


def test_one_request_was_answered_and_one_declined_with_a_reason(data):
    answered = [r for r in data.requests if r.status == FeedbackRequest.Status.ANSWERED]
    declined = [r for r in data.requests if r.status == FeedbackRequest.Status.DECLINED]
    assert len(answered) == 1 and len(declined) == 1
    assert declined[0].decline_reason
    answers = [f for f in data.feedback if f.request_id == answered[0].pk]
    assert len(answers) == 1
    assert answers[0].giver_id == answered[0].asked_id
    assert answers[0].recipient_id == answered[0].about_id
    assert answers[0].created_at > answered[0].created_at
    member = data.login("member")
    assert any(r.requester_id == member.pk for r in data.requests)


# --- Threads -----------------------------------------------------------------------------


def test_threads_on_about_ten_public_goals_with_two_to_six_comments(data):
    threads: dict[int, list[Comment]] = {}
    for c in data.comments:
        threads.setdefault(c.goal_id, []).append(c)
    assert 8 <= len(threads) <= 12
    assert all(2 <= len(thread) <= 6 for thread in threads.values())
    assert all(c.goal.visibility == Visibility.PUBLIC for c in data.comments)
    assert all(c.goal.cycle_id == data.cycle.pk for c in data.comments)
    owners = {c.goal_id for c in data.comments if c.author_id == c.goal.owner_id}
    assert owners == set(threads)
    member = data.login("member")
    assert any(c.goal.owner_id == member.pk for c in data.comments)


def test_comments_on_check_ins_are_on_that_check_ins_goal_and_after_it(data):
    on_checkin = [c for c in data.comments if c.checkin_id]
    assert len(on_checkin) >= 5
    for c in on_checkin:
        assert c.checkin.goal_id == c.goal_id
        assert c.created_at > c.checkin.created_at


def test_mentions_name_members_of_the_organisation_in_the_comment(data):
    assert len(data.mentions) >= 3
    comments = {c.pk: c for c in data.comments}
    for mention in data.mentions:
        person = data.people[mention.person_id]
        assert person.org_id == data.org.pk
        assert f"@{person.display_name}" in comments[mention.comment_id].body
        assert comments[mention.comment_id].author_id != person.pk


def test_one_comment_was_edited_and_one_removed(data):
    edited = [c for c in data.comments if c.edited_at]
    assert len(edited) == 1 and len(data.comment_revisions) == 1
    assert data.comment_revisions[0].comment_id == edited[0].pk
    assert data.comment_revisions[0].body != edited[0].body
    removed = [c for c in data.comments if c.deleted_at]
    assert len(removed) == 1
    assert removed[0].body == ""
    assert removed[0].deleted_by_id in (removed[0].author_id, data.login("admin").pk)
    assert all(c.body for c in data.comments if not c.deleted_at)


# --- Words ------------------------------------------------------------------------------


def said_twice(texts: list[str]) -> list[str]:
    return [text for text, n in Counter(texts).items() if n > 1]


def test_no_feedback_kudos_or_comment_says_the_same_as_another(data):
    """Someone reading their feedback, the kudos feed or a goal's threads never meets the
    same sentence from two people: every hand-made text in an organisation is different."""
    assert said_twice([f.body for f in data.feedback]) == []
    assert said_twice([k.message for k in data.kudos]) == []
    assert said_twice([c.body for c in data.comments if not c.deleted_at]) == []


def test_the_same_sentences_come_back_rarely(data):
    """Texts differ by more than a name or a goal: no opening sentence of a feedback (up
    to its first full stop) is used by more than a quarter of them."""
    openings = Counter(f.body.split(". ")[0] for f in data.feedback)
    assert max(openings.values()) <= len(data.feedback) / 4


# --- Idempotent, and scaled -------------------------------------------------------------


def test_a_second_run_adds_nothing(seeded):
    before = {slug: counts(slug) for slug in SLUGS}
    assert "company values" in seeded

    out = StringIO()
    call_command("seed_demo", stdout=out)

    assert {slug: counts(slug) for slug in SLUGS} == before
    assert "nothing to create" in out.getvalue()


def test_seed_feedback_alone_twice_adds_nothing(seeded):
    org = Organization.objects.get(slug="acme")

    totals = demo_feedback.seed_feedback(org)

    assert totals.created == 0


def quiet_reports(data: Seeded) -> set[int]:
    """The manager@ login's reports whose feedback is all older than 30 days (or none)."""
    manager = data.login("manager")
    month_ago = timezone.now() - timedelta(days=30)
    reports = {m.pk for m in data.people.values() if m.manager_id == manager.pk}
    return reports - {f.recipient_id for f in data.feedback if f.created_at >= month_ago}


def test_people_adds_proportional_feedback_kudos_and_comments(seeded):
    quiet = quiet_reports(seeded_data("acme"))
    assert quiet
    out = StringIO()
    call_command("seed_demo", "--people", "80", stdout=out)

    data = seeded_data("acme")
    people = sum(m.is_active for m in data.people.values())
    assert people == 80
    assert 2 * people - 2 <= len(data.feedback) <= 2 * people + 2
    assert people - 2 <= len(data.kudos) <= people + 2
    assert len(data.comments) >= people
    assert all(f.giver_id != f.recipient_id for f in data.feedback)
    assert all(f.goal is None or f.goal.owner_id == f.recipient_id for f in data.feedback)
    kudos_givers = {k.pk: k.giver_id for k in data.kudos}
    assert all(r.person_id != kudos_givers[r.recognition_id] for r in data.recipients)
    assert quiet <= quiet_reports(data)  # the manager's quiet report stays quiet
    assert "kudos" in out.getvalue()
    before = counts("acme")
    call_command("seed_demo", "--people", "80", stdout=StringIO())
    assert counts("acme") == before

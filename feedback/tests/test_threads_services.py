"""Comments on goals and check-ins: who may write, mentions, notifications, the edit
window and removal. Every refusal is a clear message and leaves nothing behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from core.tenancy import tenant_context
from feedback import threads
from feedback.models import Comment, CommentRevision, Mention
from goals import services as goal_services
from goals.access import Actor, get_goal
from goals.models import GoalStatus
from notifications.models import EmailState, Kind, Notification, NotificationSettings
from notifications.services import QUOTE_LENGTH, excerpt
from tests.factories import CheckInFactory, GoalFactory


@pytest.fixture
def goal(cast):
    """Bob's active goal "Grow revenue" (public), with one key result."""
    return GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, title="Grow revenue")


@pytest.fixture
def checkin(cast, goal):
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
    return CheckInFactory(key_result=kr, author=cast.member, note="Halfway there")


def post(cast, who, goal, body="Looks good", **kwargs) -> Comment:
    with tenant_context(cast.org.pk):
        actor = Actor(who)
        return threads.comment_post(actor=actor, goal=get_goal(actor, goal.pk), body=body, **kwargs)


def saved(cast) -> tuple[int, int, int]:
    with tenant_context(cast.org.pk):
        messages = Notification.objects.filter(kind__in=[Kind.COMMENT, Kind.MENTION])
        return Comment.objects.count(), Mention.objects.count(), messages.count()


def notes(cast, kind=None) -> list[Notification]:
    with tenant_context(cast.org.pk):
        qs = Notification.objects.order_by("pk").select_related("recipient__user")
        return list(qs.filter(kind__in=[kind] if kind else [Kind.COMMENT, Kind.MENTION]))


def refused(cast, field: str, message: str, who=None, goal=None, **kwargs):
    before = saved(cast)
    with pytest.raises(ValidationError) as error:
        post(cast, who or cast.manager, goal, **kwargs)
    assert error.value.message_dict[field] == [message]
    assert saved(cast) == before


# --- Posting -------------------------------------------------------------------------


def test_a_comment_on_a_goal_notifies_its_owner_with_the_sentence_link_and_quote(cast, goal):
    comment = post(cast, cast.manager, goal, body="  Can we talk about the Q3 target?  ")
    assert comment.body == "Can we talk about the Q3 target?"
    [note] = notes(cast)
    assert (note.kind, note.recipient_id, note.actor_id) == (
        Kind.COMMENT,
        cast.member.pk,
        cast.manager.pk,
    )
    assert note.data == {
        "title": "Mallory Manager (Acme) commented on your goal “Grow revenue”",
        "path": f"/o/acme/goals/{goal.pk}/#comment-{comment.pk}",
        "quote": "Can we talk about the Q3 target?",
    }


def test_the_owner_commenting_on_their_own_goal_notifies_nobody(cast, goal):
    post(cast, cast.member, goal)
    assert notes(cast) == []


def test_a_long_comment_is_quoted_as_an_excerpt(cast, goal):
    post(cast, cast.manager, goal, body="word " * 200)
    quote = notes(cast)[0].data["quote"]
    assert len(quote) <= QUOTE_LENGTH and quote.endswith("…")


def test_bad_comments_are_refused_with_a_message_and_nothing_saved(cast, goal):
    refused(cast, "body", threads.BODY_EMPTY, goal=goal, body="  \x00 \n ")
    refused(cast, "body", threads.BODY_TOO_LONG, goal=goal, body="x" * 5001)
    refused(cast, "body", threads.BODY_EMPTY, goal=goal, body=None)
    comment = post(cast, cast.manager, goal, body="a\x00b" + "x" * 4998)
    assert comment.body == "ab" + "x" * 4998  # NUL bytes stripped, then 5000 fits


def test_a_check_in_of_another_goal_is_refused(cast, goal):
    other = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED)
    with tenant_context(cast.org.pk):
        kr = other.key_results.get()
    elsewhere = CheckInFactory(key_result=kr)
    refused(cast, "checkin", threads.CHECKIN_NOT_ON_GOAL, goal=goal, checkin=elsewhere)


def test_a_private_goals_thread_is_as_private_as_the_goal(cast):
    private = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, visibility="private")
    with tenant_context(cast.org.pk), pytest.raises(Http404):
        get_goal(Actor(cast.member2), private.pk)
    with tenant_context(cast.org.pk), pytest.raises(Http404):
        threads.comment_post(actor=Actor(cast.member2), goal=private, body="Hi")
    assert saved(cast)[0] == 0
    # Her manager and the admin may comment on it.
    post(cast, cast.manager, private)
    post(cast, cast.admin, private)
    assert saved(cast)[0] == 2


def test_a_comment_on_a_check_in_notifies_its_author_and_the_goals_owner(cast, goal):
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
    by_manager = CheckInFactory(key_result=kr, author=cast.manager)
    comment = post(cast, cast.admin, goal, checkin=by_manager, body="Thanks for the update")
    assert comment.checkin_id == by_manager.pk and comment.goal_id == goal.pk
    titles = {n.recipient_id: n.data["title"] for n in notes(cast, Kind.COMMENT)}
    assert titles == {
        cast.manager.pk: "Alice Admin (Acme) commented on your check-in on “Grow revenue”",
        cast.member.pk: "Alice Admin (Acme) commented on a check-in on your goal “Grow revenue”",
    }


def test_the_owner_who_checked_in_hears_once_of_a_comment_on_the_check_in(cast, goal, checkin):
    post(cast, cast.manager, goal, checkin=checkin)
    [note] = notes(cast)
    assert note.recipient_id == cast.member.pk
    assert (
        note.data["title"] == "Mallory Manager (Acme) commented on your check-in on “Grow revenue”"
    )


def test_earlier_commenters_of_the_same_thread_hear_of_a_reply(cast, goal, checkin):
    post(cast, cast.member2, goal, body="First")  # Carol, on the goal
    post(cast, cast.admin, goal, checkin=checkin, body="On the check-in")  # another thread
    before = len(notes(cast))
    post(cast, cast.manager, goal, body="Second")
    new = {n.recipient_id: n.data["title"] for n in notes(cast)[before:]}
    assert new == {
        cast.member.pk: "Mallory Manager (Acme) commented on your goal “Grow revenue”",
        cast.member2.pk: "Mallory Manager (Acme) also commented on “Grow revenue”",
    }  # the admin commented on the check-in's thread, not this one


def test_a_commenters_second_comment_does_not_notify_themselves(cast, goal):
    post(cast, cast.member2, goal, body="First")
    before = len(notes(cast))
    post(cast, cast.member2, goal, body="Me again")
    assert [n.recipient_id for n in notes(cast)[before:]] == [cast.member.pk]


# --- Mentions ------------------------------------------------------------------------


def test_a_mention_is_stored_and_notifies_the_person_once(cast, goal):
    comment = post(
        cast, cast.manager, goal, body="@Carol Member (Acme) can you help?",
        mentions=[cast.member2.pk, str(cast.member2.pk)],
    )  # fmt: skip
    with tenant_context(cast.org.pk):
        assert list(comment.mentions.values_list("person_id", flat=True)) == [cast.member2.pk]
    [mention] = notes(cast, Kind.MENTION)
    assert mention.recipient_id == cast.member2.pk
    assert mention.data["title"] == (
        "Mallory Manager (Acme) mentioned you in a comment on “Grow revenue”"
    )
    assert mention.data["path"].endswith(f"#comment-{comment.pk}")
    assert comment.not_notified == []


def test_a_mention_wins_over_a_comment_notification(cast, goal):
    post(cast, cast.member2, goal, body="Earlier")
    before = len(notes(cast))
    post(
        cast, cast.manager, goal, body="@Bob and @Carol", mentions=[cast.member.pk, cast.member2.pk]
    )
    kinds = sorted((n.recipient_id, n.kind) for n in notes(cast)[before:])
    assert kinds == sorted([(cast.member.pk, Kind.MENTION), (cast.member2.pk, Kind.MENTION)])


def test_mentioning_someone_outside_the_organisation_saves_nothing(cast, goal):
    refused(cast, "mentions", threads.MENTION_OUTSIDE, goal=goal, mentions=[cast.other_member.pk])
    refused(
        cast, "mentions", threads.MENTION_OUTSIDE, goal=goal, mentions=[cast.member2.pk, 987654]
    )
    refused(cast, "mentions", threads.MENTION_OUTSIDE, goal=goal, mentions=["bob"])
    refused(cast, "mentions", threads.MENTION_OUTSIDE, goal=goal, mentions=[2**70])
    refused(cast, "mentions", threads.MENTION_OUTSIDE, goal=goal, mentions=[-3])
    refused(cast, "mentions", threads.MENTION_TOO_MANY, goal=goal, mentions=list(range(1, 30)))
    with tenant_context(cast.org.pk):
        cast.member2.is_active = False
        cast.member2.save(update_fields=["is_active"])
    refused(cast, "mentions", threads.MENTION_OUTSIDE, goal=goal, mentions=[cast.member2.pk])


def test_both_errors_come_at_once(cast, goal):
    with pytest.raises(ValidationError) as error:
        post(cast, cast.manager, goal, body="", mentions=[cast.other_member.pk])
    assert set(error.value.message_dict) == {"body", "mentions"}


def test_someone_who_cannot_see_a_private_goal_is_not_notified_of_a_mention(cast):
    private = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, visibility="private")
    comment = post(
        cast, cast.manager, private, body="@Carol Member (Acme) FYI", mentions=[cast.member2.pk]
    )
    assert [p.pk for p in comment.not_notified] == [cast.member2.pk]
    assert notes(cast, Kind.MENTION) == []
    with tenant_context(cast.org.pk):
        assert Mention.objects.filter(comment=comment, person=cast.member2).exists()
    assert threads.not_notified_message(comment.not_notified) == (
        "Not notified of the mention, as they cannot see this goal: Carol Member (Acme)."
    )


# --- Settings ------------------------------------------------------------------------


def test_notifications_follow_each_persons_settings(cast, goal, django_capture_on_commit_callbacks):
    with tenant_context(cast.org.pk):
        NotificationSettings.objects.create(
            org=cast.org, membership=cast.member, email_off=[Kind.COMMENT]
        )
        NotificationSettings.objects.create(
            org=cast.org, membership=cast.member2,
            email_off=[Kind.MENTION], in_app_off=[Kind.MENTION],
        )  # fmt: skip
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        post(cast, cast.manager, goal, body="@Carol Member (Acme) see", mentions=[cast.member2.pk])
    [note] = notes(cast)  # Carol turned mentions off entirely
    assert note.recipient_id == cast.member.pk
    assert (note.email_state, note.in_app) == (EmailState.SKIPPED, True)  # inbox only
    assert mail.outbox == []


def test_a_comment_is_emailed_to_someone_with_default_settings(
    cast, goal, django_capture_on_commit_callbacks
):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        post(cast, cast.manager, goal, body="Please update the forecast")
    [email] = mail.outbox
    assert email.to == [cast.member.user.email]
    assert "commented on your goal" in email.subject + email.body
    assert "Please update the forecast" in email.body


# --- Editing -------------------------------------------------------------------------


def age(cast, comment: Comment, by: timedelta) -> None:
    with tenant_context(cast.org.pk):
        Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - by)


def edit(cast, who, comment, body, **kwargs) -> Comment:
    with tenant_context(cast.org.pk):
        return threads.comment_edit(actor=Actor(who), comment=comment, body=body, **kwargs)


def test_the_author_edits_within_the_window_and_the_old_text_is_kept(cast, goal):
    comment = post(cast, cast.manager, goal, body="Frist")
    age(cast, comment, threads.EDIT_WINDOW - timedelta(seconds=5))
    edited = edit(cast, cast.manager, comment, "First")
    assert edited.body == "First" and edited.edited_at is not None
    with tenant_context(cast.org.pk):
        assert list(CommentRevision.objects.values_list("body", flat=True)) == ["Frist"]


def test_an_edit_after_the_window_is_refused(cast, goal):
    comment = post(cast, cast.manager, goal, body="Frist")
    age(cast, comment, threads.EDIT_WINDOW + timedelta(seconds=1))
    with pytest.raises(ValidationError) as error:
        edit(cast, cast.manager, comment, "First")
    assert error.value.message_dict["body"] == [threads.EDIT_EXPIRED]
    assert threads.EDIT_EXPIRED == "Comments can be edited for 15 minutes after posting."
    with tenant_context(cast.org.pk):
        assert Comment.objects.get().body == "Frist" and not CommentRevision.objects.exists()


def test_only_the_author_edits(cast, goal):
    comment = post(cast, cast.manager, goal, body="Mine")
    for who in (cast.admin, cast.member):
        with pytest.raises(PermissionDenied):
            edit(cast, who, comment, "Theirs")
    with pytest.raises(ValidationError) as error:
        edit(cast, cast.manager, comment, " ")
    assert error.value.message_dict["body"] == [threads.BODY_EMPTY]


def test_an_unchanged_edit_keeps_no_revision(cast, goal):
    comment = post(cast, cast.manager, goal, body="Same")
    edited = edit(cast, cast.manager, comment, "Same ")
    assert edited.edited_at is None
    with tenant_context(cast.org.pk):
        assert not CommentRevision.objects.exists()


def test_mentions_added_by_an_edit_notify_then_and_only_the_new_ones(cast, goal):
    comment = post(
        cast, cast.manager, goal, body="@Bob Member (Acme) hi", mentions=[cast.member.pk]
    )
    assert len(notes(cast, Kind.MENTION)) == 1
    edit(
        cast, cast.manager, comment, "@Bob Member (Acme) and @Carol Member (Acme) hi",
        mentions=[cast.member.pk, cast.member2.pk],
    )  # fmt: skip
    mentions = notes(cast, Kind.MENTION)
    assert [n.recipient_id for n in mentions] == [cast.member.pk, cast.member2.pk]
    with pytest.raises(ValidationError):
        edit(cast, cast.manager, comment, "x", mentions=[cast.other_member.pk])
    with tenant_context(cast.org.pk):
        assert Comment.objects.get().body.endswith("hi")


# --- Removing ------------------------------------------------------------------------


def remove(cast, who, comment) -> Comment:
    with tenant_context(cast.org.pk):
        return threads.comment_remove(actor=Actor(who), comment=comment)


def test_the_author_removes_their_comment_and_its_text_is_gone(cast, goal):
    comment = post(cast, cast.manager, goal, body="Oops @Bob", mentions=[cast.member.pk])
    edit(cast, cast.manager, comment, "Oops again")
    removed = remove(cast, cast.manager, comment)
    assert removed.body == "" and removed.deleted_at is not None
    assert removed.deleted_by_id == cast.manager.pk
    with tenant_context(cast.org.pk):
        assert not CommentRevision.objects.exists() and not Mention.objects.exists()
        assert Comment.objects.get().body == ""


def test_an_admin_removes_anyones_comment(cast, goal):
    comment = post(cast, cast.member, goal, body="Rude words")
    removed = remove(cast, cast.admin, comment)
    assert removed.deleted_by_id == cast.admin.pk


def test_someone_else_who_is_not_an_admin_may_not_remove_a_comment(cast, goal):
    comment = post(cast, cast.member, goal, body="Mine")
    for who in (cast.manager, cast.member2):
        with pytest.raises(PermissionDenied):
            remove(cast, who, comment)
    with tenant_context(cast.org.pk):
        assert Comment.objects.get().body == "Mine"


def test_a_removed_comment_cannot_be_edited(cast, goal):
    comment = post(cast, cast.manager, goal, body="Gone")
    remove(cast, cast.manager, comment)
    with pytest.raises(ValidationError) as error:
        edit(cast, cast.manager, comment, "Back")
    assert error.value.message_dict["body"] == [threads.ALREADY_REMOVED]


def quotes(cast) -> list[tuple[str, int, str, str]]:
    """(kind, recipient, title, quote) of the COMMENT and MENTION notifications."""
    return [(n.kind, n.recipient_id, n.data["title"], n.data["quote"]) for n in notes(cast)]


def test_removing_a_comment_takes_its_text_out_of_every_notification(cast, goal, login):
    other = post(cast, cast.member2, goal, body="Unrelated, stays quoted")
    comment = post(
        cast, cast.manager, goal, body="OOPS the password is hunter2", mentions=[cast.admin.pk]
    )
    before = quotes(cast)
    assert [q[3] for q in before] == ["Unrelated, stays quoted"] + [comment.body] * 3
    remove(cast, cast.manager, comment)
    # Bob (owner), Carol (earlier commenter) and Ada (mentioned): same rows and titles,
    # the removed text replaced by the marker; the other comment's quote is untouched.
    assert quotes(cast) == [
        (kind, who, title, threads.REMOVED_QUOTE if quote == comment.body else quote)
        for kind, who, title, quote in before
    ]
    assert threads.REMOVED_QUOTE == "(comment removed)"
    for who in (cast.member, cast.member2, cast.admin):
        html = login(who).get(f"/o/{cast.org.slug}/notifications/").content.decode()
        assert "hunter2" not in html and "(comment removed)" in html
    with tenant_context(cast.org.pk):
        assert (
            Notification.objects.get(dedupe_key=f"comment:{other.pk}")
            .data["path"]
            .endswith(f"#comment-{other.pk}")
        )


def test_notifications_of_a_removed_comment_are_found_in_one_query(
    cast, goal, django_assert_num_queries
):
    comment = post(cast, cast.manager, goal, body="Secret", mentions=[cast.member2.pk])
    with tenant_context(cast.org.pk), django_assert_num_queries(1):
        assert threads._requote(comment, threads.REMOVED_QUOTE) == 2


def test_an_edit_rewrites_the_quote_of_every_notification_to_the_new_text(cast, goal):
    comment = post(cast, cast.manager, goal, body="Wrong figures: 12%", mentions=[cast.admin.pk])
    titles = [q[:3] for q in quotes(cast)]
    edit(cast, cast.manager, comment, "Right figures: 21%", mentions=[cast.admin.pk])
    assert quotes(cast) == [(*t, "Right figures: 21%") for t in titles]
    long = "word " * 200
    edit(cast, cast.manager, comment, long, mentions=[cast.admin.pk, cast.member2.pk])
    assert {q[3] for q in quotes(cast)} == {excerpt(long.strip())}
    assert len(notes(cast, Kind.MENTION)) == 2  # Carol, newly mentioned, quotes it too


def test_a_pending_email_of_a_removed_comment_goes_out_without_its_text(
    cast, goal, django_capture_on_commit_callbacks
):
    from django.core import mail

    from notifications import tasks

    with tenant_context(cast.org.pk):
        NotificationSettings.objects.create(
            org=cast.org, membership=cast.member2, weekly_digest=True
        )
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not run yet
        comment = post(cast, cast.manager, goal, body="OOPS hunter2", mentions=[cast.member2.pk])
    states = {n.recipient_id: n.email_state for n in notes(cast)}
    assert states == {cast.member.pk: EmailState.PENDING, cast.member2.pk: EmailState.DIGEST}
    remove(cast, cast.manager, comment)
    [pending] = notes(cast, Kind.COMMENT)
    assert tasks.deliver_now(org_id=cast.org.pk, notification_id=pending.pk)
    assert tasks.digest_org(org_id=cast.org.pk) == 1
    assert len(mail.outbox) == 2
    for email in mail.outbox:
        html = email.alternatives[0][0]
        assert "hunter2" not in email.subject + email.body + html
    assert threads.REMOVED_QUOTE in mail.outbox[0].body


# --- Reading -------------------------------------------------------------------------


def page(cast, who, goal, **kwargs):
    with tenant_context(cast.org.pk):
        actor = Actor(who)
        return threads.thread_page(
            actor=actor, goal=get_goal(actor, goal.pk), org_slug="acme", **kwargs
        )


def test_the_body_is_escaped_and_mentions_link_to_the_persons_page(cast, goal):
    post(
        cast, cast.manager, goal,
        body="<script>alert(1)</script> @Carol Member (Acme), @Carol Member (Acme)x & @Nobody",
        mentions=[cast.member2.pk],
    )  # fmt: skip
    [entry] = page(cast, cast.member, goal).entries
    html = str(entry.html)
    assert "<script>" not in html and "&lt;script&gt;" in html
    link = (
        f'<a class="mention" href="/o/acme/colleagues/{cast.member2.pk}/">@Carol Member (Acme)</a>'
    )
    assert html.count(link) == 1  # "…(Acme)x" is another word
    assert "&amp; @Nobody" in html


def test_approval_comments_appear_in_the_thread_in_time_order(cast, goal):
    draft = GoalFactory(owner=cast.member, title="Write the guide")
    post(cast, cast.member, draft, body="Ready for a look")
    with tenant_context(cast.org.pk):
        draft = goal_services.goal_submit(actor=Actor(cast.member), goal=draft)
        goal_services.goal_request_changes(
            actor=Actor(cast.manager), goal=draft, comment="Add a measurable target"
        )
    post(cast, cast.member, draft, body="Done, please look again")
    entries = page(cast, cast.member, draft).entries
    shown = [e.headline or e.comment.body for e in entries]
    assert shown == ["Ready for a look", "Changes requested by Mallory Manager (Acme)",
                     "Done, please look again"]  # fmt: skip
    assert entries[1].event.comment == "Add a measurable target"


def test_a_check_ins_thread_has_only_its_comments(cast, goal, checkin):
    post(cast, cast.manager, goal, body="On the goal")
    post(cast, cast.manager, goal, checkin=checkin, body="On the check-in")
    assert [e.comment.body for e in page(cast, cast.member, goal, checkin=checkin).entries] == [
        "On the check-in"
    ]
    # The goal's thread shows both.
    assert len(page(cast, cast.member, goal).entries) == 2


def test_the_thread_shows_the_newest_twenty_and_pages_back(cast, goal):
    for i in range(25):
        post(cast, cast.manager, goal, body=f"Comment {i}")
    first = page(cast, cast.member, goal)
    assert [e.comment.body for e in first.entries] == [f"Comment {i}" for i in range(5, 25)]
    assert first.next_offset == 20
    earlier = page(cast, cast.member, goal, offset=20)
    assert [e.comment.body for e in earlier.entries] == [f"Comment {i}" for i in range(5)]
    assert earlier.next_offset is None


def test_edit_and_remove_are_offered_to_whom_they_are_allowed(cast, goal):
    comment = post(cast, cast.member, goal, body="Hello")
    [mine] = page(cast, cast.member, goal).entries
    assert mine.can_edit and mine.can_remove
    [admins] = page(cast, cast.admin, goal).entries
    assert not admins.can_edit and admins.can_remove
    [managers] = page(cast, cast.manager, goal).entries
    assert not managers.can_edit and not managers.can_remove
    age(cast, comment, threads.EDIT_WINDOW + timedelta(minutes=1))
    [later] = page(cast, cast.member, goal).entries
    assert not later.can_edit and later.can_remove
    remove(cast, cast.admin, comment)
    [gone] = page(cast, cast.member, goal).entries
    assert gone.removed_by == "Alice Admin (Acme)" and gone.html == ""
    assert not gone.can_edit and not gone.can_remove


def test_earlier_commenters_whose_comment_was_removed_or_who_lost_sight_hear_nothing(cast):
    goal = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, title="Grow revenue")
    gone = post(cast, cast.admin, goal, body="Removed later")
    remove(cast, cast.admin, gone)
    post(cast, cast.member2, goal, body="Carol was here")
    with tenant_context(cast.org.pk):
        goal_services.goal_update(actor=Actor(cast.member), goal=goal, visibility="private")
    before = len(notes(cast))
    post(cast, cast.manager, goal, body="Now private")
    # Only the owner: the admin's comment is gone and Carol cannot see the goal any more.
    assert [n.recipient_id for n in notes(cast)[before:]] == [cast.member.pk]


def test_removing_twice_keeps_the_first_removal(cast, goal):
    comment = post(cast, cast.member, goal, body="Twice")
    remove(cast, cast.member, comment)
    again = remove(cast, cast.admin, comment)
    assert again.deleted_by_id == cast.member.pk


def test_a_check_ins_note_is_not_an_approval_comment(cast, goal, checkin):
    assert page(cast, cast.member, goal).entries == []


def test_twenty_mentions_are_fine(cast, goal):
    from tests.factories import MembershipFactory

    people = [MembershipFactory(org=cast.org) for _ in range(threads.MAX_MENTIONS)]
    comment = post(cast, cast.manager, goal, body="All hands", mentions=[p.pk for p in people])
    with tenant_context(cast.org.pk):
        assert comment.mentions.count() == threads.MAX_MENTIONS
    refused(
        cast, "mentions", threads.MENTION_TOO_MANY, goal=goal,
        mentions=[p.pk for p in people] + [cast.member2.pk],
    )  # fmt: skip


# --- Exact edges (pinned by mutation testing: scripts/mutation.py) ---------------------


def test_the_edit_window_is_fifteen_minutes_to_the_microsecond(cast, goal):
    comment = post(cast, cast.member, goal, body="Edge")
    actor = Actor(cast.member)
    edge = comment.created_at + timedelta(minutes=15)
    assert threads.may_edit(actor, comment, now=edge)
    assert not threads.may_edit(actor, comment, now=edge + timedelta(microseconds=1))
    with tenant_context(cast.org.pk):
        entry = threads.entry_for(actor, comment, "acme", now=edge)
    assert entry.can_edit and entry.removed_by == ""  # a live comment names no remover


def test_a_comment_removed_by_its_author_names_no_remover(cast, goal):
    comment = post(cast, cast.member, goal, body="Mine to remove")
    remove(cast, cast.member, comment)
    [entry] = page(cast, cast.admin, goal).entries
    assert entry.removed_by == "" and not entry.can_remove


def test_a_quote_keeps_three_hundred_characters(cast, goal):
    post(cast, cast.manager, goal, body="a" * 300)
    assert notes(cast)[0].data["quote"] == "a" * 300  # exactly 300: quoted whole
    post(cast, cast.manager, goal, body="b" * 301)
    assert notes(cast)[-1].data["quote"] == "b" * 299 + "…"  # 300 characters with the ellipsis


def test_twenty_mentions_is_the_limit_and_the_message_says_so(cast, goal):
    from tests.factories import MembershipFactory

    people = [MembershipFactory(org=cast.org) for _ in range(21)]
    refused(
        cast, "mentions", "Mention at most 20 colleagues in one comment.", goal=goal,
        mentions=[p.pk for p in people],
    )  # fmt: skip
    comment = post(cast, cast.manager, goal, body="Team", mentions=[p.pk for p in people[:20]])
    with tenant_context(cast.org.pk):
        assert comment.mentions.count() == 20


def test_an_id_too_big_for_the_database_is_a_message_not_a_crash(cast, goal):
    refused(cast, "mentions", threads.MENTION_OUTSIDE, goal=goal, mentions=[2**63])
    refused(cast, "mentions", threads.MENTION_OUTSIDE, goal=goal, mentions=[0])


def test_exactly_twenty_comments_fit_on_one_page_with_no_earlier_link(cast, goal):
    for i in range(20):
        post(cast, cast.manager, goal, body=f"Comment {i}")
    first = page(cast, cast.member, goal)
    assert len(first.entries) == 20 and first.next_offset is None
    post(cast, cast.manager, goal, body="Comment 20")
    assert page(cast, cast.member, goal).next_offset == 20


def test_an_offset_past_any_thread_is_clamped_and_shows_nothing(cast, goal):
    post(cast, cast.manager, goal, body="Only one")
    far = page(cast, cast.member, goal, offset=10**12)
    assert (far.offset, far.entries, far.next_offset) == (100_000, [], None)
    assert page(cast, cast.member, goal, offset=-5).offset == 0


def test_a_comment_made_at_the_instant_of_an_approval_comment_follows_it(cast):
    draft = GoalFactory(owner=cast.member, title="Write the guide")
    with tenant_context(cast.org.pk):
        draft = goal_services.goal_submit(actor=Actor(cast.member), goal=draft)
        goal_services.goal_request_changes(
            actor=Actor(cast.manager), goal=draft, comment="Add a target"
        )
        event = draft.events.exclude(comment="").get()
    comment = post(cast, cast.member, draft, body="Added")
    with tenant_context(cast.org.pk):
        Comment.objects.filter(pk=comment.pk).update(created_at=event.created_at)
    entries = page(cast, cast.member, draft).entries
    assert [e.headline or e.comment.body for e in entries] == [
        "Changes requested by Mallory Manager (Acme)",
        "Added",
    ]


def number_one(model, cast, make):
    """The row with id 1 (a placeholder id must never match it), made if missing."""
    with tenant_context(cast.org.pk):
        row = model.objects.filter(pk=1).first() or make(pk=1)
    assert row.org_id == cast.org.pk
    return row


def test_the_member_with_id_1_may_be_mentioned(cast, goal):
    from orgs.models import Membership
    from tests.factories import MembershipFactory

    first = number_one(Membership, cast, lambda pk: MembershipFactory(org=cast.org, pk=pk))
    comment = post(cast, cast.manager, goal, body="Thanks", mentions=[first.pk])
    with tenant_context(cast.org.pk):
        assert list(comment.mentions.values_list("person_id", flat=True)) == [1]


def test_a_check_in_id_that_is_not_a_number_is_404_even_beside_check_in_1(cast, goal):
    from goals.models import CheckIn

    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
    made = CheckInFactory(key_result=kr)
    with tenant_context(cast.org.pk):
        if made.pk != 1:  # ids are not reused on PostgreSQL: give it id 1
            CheckIn.objects.filter(pk=made.pk).update(id=1)
        assert CheckIn.objects.get(pk=1).goal_id == goal.pk
    with tenant_context(cast.org.pk), pytest.raises(Http404):
        threads.get_checkin(goal, None)

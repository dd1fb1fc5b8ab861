"""Thread pages: the conversation near the top of the goal page, posting with and
without htmx, a check-in's thread expanded in place, editing, removing, the @
suggestions, and a constant number of queries as a thread grows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from feedback import threads
from feedback.models import Comment
from feedback.tests.test_threads_services import post
from goals import services as goal_services
from goals.access import Actor
from goals.models import GoalStatus
from notifications.models import Kind, Notification
from tests.factories import CheckInFactory, GoalFactory, MembershipFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
REQUEST = 6  # savepoint, organisation, session, user, membership, release


def rls() -> int:
    return 2 if connection.vendor == "postgresql" else 0


@pytest.fixture
def goal(cast):
    return GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, title="Grow revenue")


@pytest.fixture
def checkin(cast, goal):
    with tenant_context(cast.org.pk):
        kr = goal.key_results.get()
    return CheckInFactory(key_result=kr, author=cast.member, note="Halfway there")


def thread_url(cast, goal, **query) -> str:
    url = reverse("threads:thread", args=[cast.org.slug, goal.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def goal_url(cast, goal) -> str:
    return reverse("goals:goal_detail", args=[cast.org.slug, goal.pk])


def comments(cast) -> list[Comment]:
    with tenant_context(cast.org.pk):
        return list(Comment.objects.order_by("pk"))


# --- The goal page -------------------------------------------------------------------


def test_the_goal_page_shows_the_conversation_near_the_top(cast, goal, login):
    post(cast, cast.manager, goal, body="How is the pipeline looking?")
    html = login(cast.member).get(goal_url(cast, goal)).content.decode()
    assert "How is the pipeline looking?" in html
    conversation = html.index('id="thread-goal-')
    assert conversation < html.index('id="progress-title"') < html.index('id="activity-title"')
    assert 'src="/static/js/mentions.js" defer' in html
    assert 'name="body"' in html and "Post comment" in html


def test_the_approval_comment_shows_in_the_thread(cast, login):
    draft = GoalFactory(owner=cast.member, status=GoalStatus.CHANGES_REQUESTED,
                        comment="Add a measurable target", title="Write the guide")  # fmt: skip
    html = login(cast.member).get(goal_url(cast, draft)).content.decode()
    thread = html[html.index('id="thread-goal-') :]
    assert "Changes requested by" in thread and "Add a measurable target" in thread


def test_posting_without_javascript_leads_to_the_comment(cast, goal, login):
    response = login(cast.manager).post(thread_url(cast, goal), {"body": "Nice work"})
    [comment] = comments(cast)
    assert response.status_code == 302
    assert response["Location"] == f"{goal_url(cast, goal)}#comment-{comment.pk}"
    page = login(cast.manager).get(response["Location"]).content.decode()
    assert f'id="comment-{comment.pk}"' in page and "Nice work" in page
    assert "Comment posted." in page


def test_posting_with_htmx_answers_the_thread_with_the_new_comment(cast, goal, login):
    response = login(cast.manager).post(thread_url(cast, goal), {"body": "Nice work"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nice work" in html and "Comment posted." in html and "<html" not in html


def test_a_bad_comment_shows_the_message_and_saves_nothing(cast, goal, login):
    client = login(cast.manager)
    response = client.post(thread_url(cast, goal), {"body": " \x00 "}, **HTMX)
    assert response.status_code == 400
    assert threads.BODY_EMPTY in response.content.decode()
    response = client.post(
        thread_url(cast, goal), {"body": "Hi @Bob", "mentions": [str(cast.other_member.pk)]}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert threads.MENTION_OUTSIDE in html and "Hi @Bob" in html
    assert comments(cast) == []


def test_hostile_values_never_break_the_page(cast, goal, login):
    client = login(cast.manager)
    for data in (
        {"body": "x", "mentions": ["99999999999999999999999"]},
        {"body": "x", "mentions": ["\x00"]},
        {"body": "x", "checkin": "-1"},
        {"body": "x" * 6000},
    ):
        assert client.post(thread_url(cast, goal), data).status_code in (400, 404)
    assert client.get(thread_url(cast, goal, earlier="99999999999999999999")).status_code == 200
    assert client.get(thread_url(cast, goal, checkin="abc")).status_code == 404
    assert comments(cast) == []


def test_a_mention_posted_from_the_page_notifies_the_person(cast, goal, login):
    login(cast.manager).post(
        thread_url(cast, goal),
        {"body": "@Carol Member (Acme) please help", "mentions": [str(cast.member2.pk)]},
    )
    with tenant_context(cast.org.pk):
        assert Notification.objects.filter(kind=Kind.MENTION, recipient=cast.member2).exists()
    html = login(cast.member).get(goal_url(cast, goal)).content.decode()
    assert f'href="/o/acme/colleagues/{cast.member2.pk}/">@Carol Member (Acme)</a>' in html


def test_mentioning_someone_who_cannot_see_a_private_goal_says_so(cast, login):
    private = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, visibility="private")
    response = login(cast.manager).post(
        thread_url(cast, private),
        {"body": "@Carol Member (Acme) FYI", "mentions": [str(cast.member2.pk)]},
        follow=True,
    )
    assert "cannot see this goal: Carol Member (Acme)" in response.content.decode()


# --- Who may see it ------------------------------------------------------------------


def test_a_private_goals_thread_is_404_for_someone_who_cannot_see_the_goal(cast, login):
    private = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED, visibility="private")
    post(cast, cast.manager, private, body="Secret plan")
    for who in (cast.member2, cast.other_admin):
        client = login(who)
        assert client.get(thread_url(cast, private)).status_code == 404
        assert client.post(thread_url(cast, private), {"body": "Hi"}).status_code == 404
        [comment] = comments(cast)
        edit = reverse("threads:comment_edit", args=[cast.org.slug, comment.pk])
        assert client.get(edit).status_code == 404
        remove = reverse("threads:comment_remove", args=[cast.org.slug, comment.pk])
        assert client.post(remove).status_code == 404
    assert login(cast.manager).get(thread_url(cast, private)).status_code == 200
    assert len(comments(cast)) == 1 and comments(cast)[0].deleted_at is None


# --- A check-in's thread -------------------------------------------------------------


def test_a_check_ins_thread_expands_in_place_and_takes_replies(cast, goal, checkin, login):
    post(cast, cast.manager, goal, checkin=checkin, body="Great progress")
    client = login(cast.member)
    history = reverse("goals:kr_history", args=[cast.org.slug, checkin.key_result_id])
    html = client.get(history).content.decode()
    link = thread_url(cast, goal, checkin=checkin.pk)
    assert f'hx-get="{link}"' in html and "1 comment<" in html
    partial = client.get(link, **HTMX).content.decode()
    assert "Great progress" in partial and "<html" not in partial
    assert f'name="checkin" value="{checkin.pk}"' in partial
    response = client.post(thread_url(cast, goal), {"body": "Thanks!", "checkin": checkin.pk})
    reply = comments(cast)[-1]
    assert reply.checkin_id == checkin.pk
    assert response["Location"] == f"{link}#comment-{reply.pk}"
    # The manager hears of the reply in the check-in's thread.
    with tenant_context(cast.org.pk):
        note = Notification.objects.get(kind=Kind.COMMENT, recipient=cast.manager)
    assert note.data["title"] == "Bob Member (Acme) also commented on “Grow revenue”"
    # The goal's thread shows the check-in's comments too, labelled.
    page = client.get(goal_url(cast, goal)).content.decode()
    assert "Thanks!" in page and "On the check-in" in page


def test_a_check_in_of_another_goal_is_not_found(cast, goal, login):
    other = GoalFactory(owner=cast.member, status=GoalStatus.APPROVED)
    with tenant_context(cast.org.pk):
        kr = other.key_results.get()
    elsewhere = CheckInFactory(key_result=kr)
    client = login(cast.member)
    assert client.get(thread_url(cast, goal, checkin=elsewhere.pk)).status_code == 404
    assert (
        client.post(thread_url(cast, goal), {"body": "x", "checkin": elsewhere.pk}).status_code
        == 404
    )


# --- Earlier comments ----------------------------------------------------------------


def test_show_earlier_comments_loads_the_page_before(cast, goal, login):
    for i in range(23):
        post(cast, cast.manager, goal, body=f"Comment number {i}.")
    client = login(cast.member)
    html = client.get(goal_url(cast, goal)).content.decode()
    assert "Comment number 3." in html and "Comment number 2." not in html
    earlier = thread_url(cast, goal, earlier=20)
    assert f'href="{earlier}"' in html and "Show earlier comments" in html
    partial = client.get(earlier, **HTMX).content.decode()
    assert "Comment number 0." in partial and "Comment number 3." not in partial
    assert "<html" not in partial and "Post comment" not in partial
    full = client.get(earlier).content.decode()  # without JavaScript: a page of its own
    assert "Comment number 0." in full and "Back to the latest comments" in full


# --- Editing and removing ------------------------------------------------------------


def test_the_author_edits_in_place_and_the_thread_says_edited(cast, goal, login):
    comment = post(cast, cast.manager, goal, body="Frist")
    client = login(cast.manager)
    edit = reverse("threads:comment_edit", args=[cast.org.slug, comment.pk])
    form = client.get(edit, **HTMX).content.decode()
    assert "Frist</textarea>" in form
    response = client.post(edit, {"body": "First"}, **HTMX)
    assert response.status_code == 200 and "(edited)" in response.content.decode()
    page = client.get(goal_url(cast, goal)).content.decode()
    assert "First" in page and "(edited)" in page


def test_an_edit_after_fifteen_minutes_is_refused_with_the_message(cast, goal, login):
    comment = post(cast, cast.manager, goal, body="Frist")
    with tenant_context(cast.org.pk):
        Comment.objects.filter(pk=comment.pk).update(
            created_at=timezone.now() - timedelta(minutes=16)
        )
    client = login(cast.manager)
    edit = reverse("threads:comment_edit", args=[cast.org.slug, comment.pk])
    assert threads.EDIT_EXPIRED in client.get(edit).content.decode()
    response = client.post(edit, {"body": "First"})
    assert response.status_code == 400 and threads.EDIT_EXPIRED in response.content.decode()
    assert comments(cast)[0].body == "Frist"
    assert "your comment</span>" not in client.get(goal_url(cast, goal)).content.decode()


def test_someone_else_may_not_edit(cast, goal, login):
    comment = post(cast, cast.manager, goal, body="Mine")
    edit = reverse("threads:comment_edit", args=[cast.org.slug, comment.pk])
    client = login(cast.admin)
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"body": "Theirs"}).status_code == 403
    assert comments(cast)[0].body == "Mine"


def test_an_admin_removes_a_comment_and_the_marker_says_by_whom(cast, goal, login):
    comment = post(cast, cast.member, goal, body="Off-topic rant")
    remove = reverse("threads:comment_remove", args=[cast.org.slug, comment.pk])
    assert login(cast.manager).post(remove).status_code == 403  # not the author, not an admin
    response = login(cast.admin).post(remove, **HTMX)
    html = response.content.decode()
    assert "Comment removed by Alice Admin (Acme)" in html and "Off-topic" not in html
    page = login(cast.member).get(goal_url(cast, goal)).content.decode()
    assert "Comment removed by Alice Admin (Acme)" in page and "Off-topic rant" not in page


def test_the_author_removes_their_own_comment_without_javascript(cast, goal, login):
    comment = post(cast, cast.member, goal, body="Wrong goal")
    remove = reverse("threads:comment_remove", args=[cast.org.slug, comment.pk])
    client = login(cast.member)
    assert client.get(remove).status_code == 405
    response = client.post(remove)
    assert response["Location"] == f"{goal_url(cast, goal)}#comment-{comment.pk}"
    page = client.get(goal_url(cast, goal)).content.decode()
    assert "Comment removed" in page and "Wrong goal" not in page


# --- @ suggestions -------------------------------------------------------------------


def test_suggestions_are_active_colleagues_of_this_organisation(cast, login):
    MembershipFactory(org=cast.org, user__full_name="Carla <b>Left</b>", is_active=False)
    MembershipFactory(org=cast.org, user__full_name="Carl <i>Bold</i>")
    url = reverse("threads:mention_search", args=[cast.org.slug])
    html = login(cast.member).get(url, {"q": "car"}).content.decode()
    assert f'data-mention-id="{cast.member2.pk}"' in html
    assert 'data-mention-name="Carol Member (Acme)"' in html
    assert "Carla" not in html  # deactivated
    assert "Carl &lt;i&gt;Bold&lt;/i&gt;" in html and "<i>" not in html
    assert 'role="option"' in html
    assert "Globex" not in login(cast.member).get(url, {"q": "Bob"}).content.decode()
    assert login(cast.member).get(url, {"q": ""}).content == b""


# --- Query counts --------------------------------------------------------------------


def grow_thread(cast, goal, size: int) -> None:
    """``size`` comments, each mentioning someone, every fourth removed, and approval
    comments in between."""
    for i in range(size):
        comment = post(
            cast, cast.manager if i % 2 else cast.admin, goal,
            body=f"@Carol Member (Acme) update {i}", mentions=[cast.member2.pk],
        )  # fmt: skip
        if i % 4 == 0:
            with tenant_context(cast.org.pk):
                threads.comment_remove(actor=Actor(cast.admin), comment=comment)


@pytest.mark.parametrize("size", [3, 40])
def test_a_thread_page_runs_the_same_queries_whatever_its_size(
    cast, login, django_assert_num_queries, size
):
    goal = GoalFactory(owner=cast.member, status=GoalStatus.CHANGES_REQUESTED,
                       comment="Sharper key results please")  # fmt: skip
    grow_thread(cast, goal, size)
    with tenant_context(cast.org.pk):
        goal = goal_services.goal_submit(actor=Actor(cast.member), goal=goal)
        goal_services.goal_request_changes(actor=Actor(cast.manager), goal=goal, comment="Again")
    client = login(cast.member)
    # get_goal (her own: no reporting line to read); the comments (authors, removers and
    # check-ins joined); their mentions; the approval comments; the organisation switcher.
    with django_assert_num_queries(REQUEST + rls() + 5):
        response = client.get(thread_url(cast, goal))
    entries = response.context["thread"].entries
    assert len(entries) == min(size + 2, threads.THREAD_PAGE)
    assert "Changes requested by Mallory Manager (Acme)" in response.content.decode()


def test_the_goal_page_runs_the_same_queries_with_a_longer_thread(cast, goal, login):
    client = login(cast.member)
    grow_thread(cast, goal, 3)
    with CaptureQueriesContext(connection) as small:
        client.get(goal_url(cast, goal))
    grow_thread(cast, goal, 37)
    with CaptureQueriesContext(connection) as large:
        response = client.get(goal_url(cast, goal))
    assert len(response.context["thread"].entries) == threads.THREAD_PAGE
    assert len(large.captured_queries) == len(small.captured_queries)

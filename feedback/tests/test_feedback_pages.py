"""The feedback pages: giving (with its refusals), correcting until read, the feedback page's
lists, a colleague's page, the goal page's section and the team view's signal, and the
query counts of each list at two sizes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.tenancy import tenant_context
from feedback import services
from feedback.models import Feedback, FeedbackRevision
from goals.access import Actor
from goals.models import GoalStatus
from goals.selectors import TEAM_PAGE_SIZE
from notifications.models import Kind, Notification
from tests.factories import (
    CheckInFactory,
    CycleFactory,
    GoalFactory,
    MembershipFactory,
)
from tests.test_query_counts import request_queries

HTMX = {"HTTP_HX_REQUEST": "true"}
# The feedback about a goal (its page, the goal page's section) at any number of items;
# one more per item before the goal was read with the feedback.
GOAL_FEEDBACK_QUERIES = 5
# The goal page itself (goals/tests/test_goal_pages.py explains its queries), of which
# the feedback section is one.
GOAL_PAGE_QUERIES = 15


def url(cast, name: str, *args) -> str:
    return reverse(f"feedback:{name}", args=[cast.org.slug, *args])


def give(cast, giver, recipient, body: str = "Great demo.", **kwargs) -> Feedback:
    with tenant_context(cast.org.pk):
        return services.give_feedback(actor=Actor(giver), recipient=recipient, body=body, **kwargs)


def feedback_count(cast) -> int:
    with tenant_context(cast.org.pk):
        return Feedback.objects.count()


@pytest.fixture
def cycle(cast):
    return CycleFactory(org=cast.org, name="This quarter")


# --- Giving ------------------------------------------------------------------------


def test_it_gives_feedback_about_a_goal_prefilled_from_the_goal_page(cast, cycle, login):
    goal = GoalFactory(
        owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED, title="Ship", key_results=1
    )
    client = login(cast.member2)
    page = client.get(url(cast, "give"), {"to": cast.member.pk, "goal": goal.pk})
    html = page.content.decode()
    assert 'value="member@acme.test"' in html
    assert f'<option value="{goal.pk}" selected>Ship (This quarter)</option>' in html
    assert 'value="managers" id="id_visibility_1" checked' in html  # the default
    response = client.post(
        url(cast, "give"),
        {"recipient": "member@acme.test", "goal": goal.pk, "body": "Lovely demo",
         "visibility": "public"},
    )  # fmt: skip
    assert response.status_code == 302
    with tenant_context(cast.org.pk):
        saved = Feedback.objects.get()
        notification = Notification.objects.get(kind=Kind.FEEDBACK_RECEIVED)
    assert (saved.recipient, saved.goal, saved.visibility) == (cast.member, goal, "public")
    assert notification.recipient == cast.member
    assert notification.data["title"] == (
        f"Carol Member (Acme) gave you feedback on “Ship”. {services.OPEN_TO_READ}"
    )
    assert notification.data["quote"] == ""  # read by opening it
    assert notification.data["path"] == url(cast, "feedback_detail", saved.pk)
    followed = client.get(response["Location"]).content.decode()
    assert "Feedback sent to Bob Member (Acme)." in followed and "Lovely demo" in followed
    # A check-in (or a goal) alone names the recipient.
    with tenant_context(cast.org.pk):
        checkin = CheckInFactory(key_result=goal.key_results.get())
    page = client.get(url(cast, "give"), {"checkin": checkin.pk}).content.decode()
    assert 'value="member@acme.test"' in page and "About the check-in of" in page
    assert f'name="checkin" value="{checkin.pk}"' in page


def test_the_goal_menu_follows_the_recipient_with_and_without_javascript(cast, cycle, login):
    GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED, title="Bob's goal")
    GoalFactory(owner=cast.member2, cycle=cycle, status=GoalStatus.APPROVED, title="Carol's")
    client = login(cast.manager)
    menu = client.get(url(cast, "goal_options"), {"recipient": "member@acme.test"}, **HTMX)
    menu = menu.content.decode()
    assert "Bob&#x27;s goal" in menu and "Carol" not in menu
    assert 'id="id_goal"' in menu and 'hx-trigger="change from:#id_recipient"' in menu
    # Without JavaScript: "Show their goals" reloads the form, keeping what was typed.
    reloaded = client.post(
        url(cast, "give"),
        {"recipient": "member2@acme.test", "body": "Draft", "show_goals": "1"},
    )
    html = reloaded.content.decode()
    assert reloaded.status_code == 200 and "Carol&#x27;s" in html and "Draft" in html
    assert feedback_count(cast) == 0


@pytest.mark.parametrize(
    "case",
    [
        "self",
        "deactivated",
        "other org",
        "unknown",
        "empty",
        "too long",
        "goal not theirs",
        "huge check-in",
    ],  # fmt: skip
)
def test_bad_feedback_on_the_form_shows_why_and_saves_nothing(cast, cycle, login, case):
    theirs = GoalFactory(owner=cast.member2, cycle=cycle, status=GoalStatus.APPROVED)
    data = {"recipient": "member@acme.test", "body": "Hello", "visibility": "managers"}
    expected = {
        "self": services.TO_SELF,
        "deactivated": services.NOT_A_COLLEAGUE,
        "other org": services.NOT_A_COLLEAGUE,
        "unknown": services.NOT_A_COLLEAGUE,
        "empty": services.BODY_EMPTY,
        "too long": services.BODY_TOO_LONG,
        "goal not theirs": services.GOAL_NOT_THEIRS,
        "huge check-in": "Nothing was saved",
    }[case]
    if case == "self":
        data["recipient"] = "member2@acme.test"
    elif case == "deactivated":
        with tenant_context(cast.org.pk):
            cast.member.is_active = False
            cast.member.save(update_fields=["is_active"])
    elif case == "other org":
        data["recipient"] = "member@globex.test"
    elif case == "unknown":
        data["recipient"] = "nobody@acme.test"
    elif case == "empty":
        data["body"] = "  \n "
    elif case == "too long":
        data["body"] = "x" * 5001
    elif case == "goal not theirs":
        data["goal"] = theirs.pk
    else:
        data["checkin"] = str(2**70)
    response = login(cast.member2).post(url(cast, "give"), data)
    assert response.status_code == 400
    assert expected in response.content.decode().replace("&#x27;", "'")
    assert "Nothing was saved" in response.content.decode()
    assert feedback_count(cast) == 0


def test_the_recipient_opening_it_marks_it_read_and_the_giver_corrects_only_before(cast, login):
    feedback = give(cast, cast.member2, cast.member, body="Grat work")
    giver = login(cast.member2)
    page = giver.get(url(cast, "feedback_detail", feedback.pk)).content.decode()
    assert "Not read yet" in page and "Save the correction" in page
    response = giver.post(url(cast, "feedback_correct", feedback.pk), {"body": "Great work"})
    assert response.status_code == 302
    page = giver.get(url(cast, "feedback_detail", feedback.pk)).content.decode()
    assert "Great work" in page and "edited" in page and "Grat work" in page  # earlier wording
    # The recipient opens it: "edited" but not the earlier text; from now on it is fixed.
    recipient = login(cast.member).get(url(cast, "feedback_detail", feedback.pk))
    assert "edited" in recipient.content.decode() and "Grat work" not in recipient.content.decode()
    giver = login(cast.member2)
    page = giver.get(url(cast, "feedback_detail", feedback.pk)).content.decode()
    assert "Save the correction" not in page and "Read " in page
    refused = giver.post(url(cast, "feedback_correct", feedback.pk), {"body": "Changed"})
    assert refused.status_code == 400
    assert services.ALREADY_READ in refused.content.decode().replace("&#x27;", "'")
    with tenant_context(cast.org.pk):
        feedback.refresh_from_db()
        assert feedback.body == "Great work" and FeedbackRevision.objects.count() == 1


def test_only_the_giver_may_correct(cast, login):
    feedback = give(cast, cast.member2, cast.member, visibility="public")
    assert (
        login(cast.manager)
        .post(url(cast, "feedback_correct", feedback.pk), {"body": "Mine now"})
        .status_code
        == 403
    )
    assert (
        login(cast.other_admin)
        .post(url(cast, "feedback_correct", feedback.pk), {"body": "Mine now"})
        .status_code
        == 404
    )


# --- The feedback page -------------------------------------------------------------


def test_the_feedback_page_lists_received_given_and_a_managers_reports(cast, login):
    give(cast, cast.member2, cast.member, body="Carol to Bob")
    give(cast, cast.member, cast.member2, body="Bob to Carol, private", visibility="private")
    html = login(cast.member).get(url(cast, "feedback_home")).content.decode()
    assert "Carol to Bob" in html and "Bob to Carol, private" in html
    assert 'class="badge feedback-new">New' in html  # not opened yet
    manager = login(cast.manager).get(url(cast, "feedback_home"))
    rows = {p.display_name: p for p in manager.context["reports"]}
    # Bob's "managers" feedback is readable by his manager; Carol's private one is not.
    assert rows["Bob Member (Acme)"].visible == 1 and rows["Carol Member (Acme)"].visible == 0
    assert rows["Bob Member (Acme)"].days == 0 and not rows["Bob Member (Acme)"].quiet
    html = manager.content.decode()
    assert "Carol to Bob" not in html  # counts only on the feedback page
    with tenant_context(cast.org.pk):
        Feedback.objects.update(created_at=timezone.now() - timedelta(days=31))
    html = login(cast.manager).get(url(cast, "feedback_home")).content.decode()
    assert html.count("No feedback in 30 days") == 2


def test_each_list_pages_by_twenty_in_place(cast, login):
    for i in range(21):
        give(cast, cast.member2, cast.member, body=f"Note number {i:02d}")
    client = login(cast.member)
    first = client.get(url(cast, "feedback_home")).content.decode()
    assert "Note number 20" in first and "Note number 00" not in first
    assert 'hx-get="?received_page=2"' in first and 'href="?received_page=2#received"' in first
    second = client.get(
        url(cast, "feedback_home"), {"received_page": 2}, HTTP_HX_TARGET="received", **HTMX
    ).content.decode()
    assert "Note number 00" in second and "<h1>" not in second and 'id="given"' not in second


# --- A colleague's page ------------------------------------------------------------


def test_a_colleagues_page_shows_who_they_are_and_what_the_viewer_may_do(cast, login):
    give(cast, cast.member2, cast.member, body="Solid release")
    client = login(cast.manager)
    html = client.get(url(cast, "person", cast.member.pk)).content.decode()
    assert "Bob Member (Acme)" in html and "Engineer · Platform" in html
    assert "Reports to" in html and "Mallory Manager (Acme)" in html
    assert f"?to={cast.member.pk}" in html  # give
    assert f"?about={cast.member.pk}" in html  # request on a report's behalf
    assert "last received feedback today" in html and "Solid release" in html
    peer = login(cast.member2).get(url(cast, "person", cast.member.pk)).content.decode()
    assert f"?about={cast.member.pk}" not in peer and "last received" not in peer
    mine = login(cast.member).get(url(cast, "person", cast.member.pk)).content.decode()
    assert f"?to={cast.member.pk}" not in mine and f"?about={cast.member.pk}" in mine
    assert login(cast.member).get(url(cast, "person", cast.other_member.pk)).status_code == 404
    assert login(cast.member).get(url(cast, "person", 99999999)).status_code == 404


# --- The goal page and the team view -----------------------------------------------


def test_the_goal_page_shows_the_newest_five_and_a_link_to_the_rest(cast, cycle, login):
    goal = GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED)
    for i in range(6):
        give(cast, cast.member2, cast.member, body=f"Goal note {i}", goal=goal,
             visibility="public")  # fmt: skip
    html = login(cast.manager).get(reverse("goals:goal_detail", args=[cast.org.slug, goal.pk]))
    html = html.content.decode()
    assert "Feedback about this goal" in html
    assert "Goal note 5" in html and "Goal note 1" in html and "Goal note 0" not in html
    assert url(cast, "feedback_on_goal", goal.pk) in html
    assert f"?to={cast.member.pk}&amp;goal={goal.pk}" in html  # not the owner: may give
    assert html.index("Feedback about this goal") < html.index('id="activity"')
    owner = login(cast.member).get(reverse("goals:goal_detail", args=[cast.org.slug, goal.pk]))
    assert "Give feedback on this goal" not in owner.content.decode()
    everything = login(cast.manager).get(url(cast, "feedback_on_goal", goal.pk)).content.decode()
    assert "Goal note 0" in everything


def test_the_team_view_signals_who_has_had_no_feedback_for_30_days(cast, cycle, login):
    give(cast, cast.member2, cast.member)
    html = login(cast.manager).get(reverse("goals:team_goals", args=[cast.org.slug]))
    html = html.content.decode()
    assert "Last feedback today" in html
    assert html.count("No feedback in 30 days") == 1  # Carol


# --- Query counts ------------------------------------------------------------------


def grow(cast, size: int) -> None:
    """``size`` reports of the manager, each with feedback given, received and asked."""
    with tenant_context(cast.org.pk):
        for i in range(size):
            person = MembershipFactory(org=cast.org, unit=cast.platform, manager=cast.manager)
            services.give_feedback(
                actor=Actor(person), recipient=cast.manager, body=f"Up {i}", visibility="public"
            )
            services.give_feedback(actor=Actor(cast.manager), recipient=person, body=f"Down {i}")
            services.request_feedback(actor=Actor(person), asked=[cast.manager], prompt=f"{i}")
            services.request_feedback(actor=Actor(cast.manager), asked=[person])
            services.give_feedback(
                actor=Actor(person), recipient=cast.member, body=f"About Bob {i}"
            )


@pytest.mark.parametrize("size", [2, 25])
def test_the_feedback_page_reads_a_fixed_number_of_queries(
    cast, login, django_assert_num_queries, size
):
    grow(cast, size)
    client = login(cast.manager)
    # Received, given, waiting, sent, reports: a count and a page each; the reporting
    # subtree (the reports' readable counts); marking the new received ones read; the
    # organisation switcher.
    with django_assert_num_queries(request_queries() + 13):
        assert client.get(url(cast, "feedback_home")).status_code == 200


@pytest.mark.parametrize("size", [2, 25])
def test_the_person_page_reads_a_fixed_number_of_queries(
    cast, login, django_assert_num_queries, size
):
    grow(cast, size)
    client = login(cast.manager)
    # The person, the subtree, the count and page of feedback, the active cycle, the last
    # feedback received, the organisation switcher.
    with django_assert_num_queries(request_queries() + 7):
        assert client.get(url(cast, "person", cast.member.pk)).status_code == 200
    admin = login(cast.admin)
    with django_assert_num_queries(request_queries() + 7):
        assert admin.get(url(cast, "person", cast.member.pk)).status_code == 200


@pytest.mark.parametrize("size", [2, 25])
def test_the_team_views_feedback_signal_is_one_query_for_the_page_of_people(
    cast, cycle, login, django_assert_num_queries, size
):
    grow(cast, size)
    client = login(cast.manager)
    # Nobody has a goal here: the cycles, the people and their count, who has no goal,
    # their goals (none, so no key results, milestones or check-ins), the feedback
    # signal, their kudos this cycle, the organisation switcher.
    with django_assert_num_queries(request_queries() + 8):
        response = client.get(reverse("goals:team_goals", args=[cast.org.slug]))
    html = response.content.decode()
    shown = html.count('class="team-feedback"')
    assert shown == min(size + 2, TEAM_PAGE_SIZE)  # Bob, Carol and the new reports
    quiet = html.count("No feedback in 30 days")  # Carol, when she is on this page
    assert quiet <= 1 and html.count("Last feedback today") == shown - quiet


@pytest.mark.parametrize("where", ["feedback page", "person page", "goal page", "api list"])
def test_feedback_shown_to_its_recipient_anywhere_is_read_and_no_longer_changes(
    cast, cycle, login, where
):
    goal = GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED)
    feedback = give(cast, cast.member2, cast.member, body="Fresh words", goal=goal)
    seen = {
        "feedback page": url(cast, "feedback_home"),
        "person page": url(cast, "person", cast.member.pk),
        "goal page": reverse("goals:goal_detail", args=[cast.org.slug, goal.pk]),
        "api list": f"/api/v1/orgs/{cast.org.slug}/feedback/",
    }[where]
    # Someone else seeing it (the giver) changes nothing.
    assert "Fresh words" in login(cast.member2).get(seen).content.decode()
    assert (
        login(cast.member2)
        .post(url(cast, "feedback_correct", feedback.pk), {"body": "Fresher words"})
        .status_code
        == 302
    )
    assert "Fresher words" in login(cast.member).get(seen).content.decode()
    refused = login(cast.member2).post(
        url(cast, "feedback_correct", feedback.pk), {"body": "Other words"}
    )
    assert refused.status_code == 400
    with tenant_context(cast.org.pk):
        feedback.refresh_from_db()
    assert feedback.read_at is not None and feedback.body == "Fresher words"


def test_the_inbox_and_the_email_never_quote_feedback_so_reading_it_means_opening_it(
    cast, login, django_capture_on_commit_callbacks
):
    """The recipient reads feedback only by opening it (which locks it): a wording the
    giver corrects before then never stays behind in the inbox or an email."""
    with django_capture_on_commit_callbacks(execute=True):
        feedback = give(cast, cast.member2, cast.member, body="First harsh wording")
    [email] = mail.outbox
    assert email.to == [cast.member.user.email]
    bodies = [email.body] + [content for content, _ in getattr(email, "alternatives", [])]
    assert all("First harsh wording" not in body for body in bodies)
    assert services.OPEN_TO_READ in email.body
    assert url(cast, "feedback_detail", feedback.pk) in email.body
    inbox = reverse("notifications:notifications", args=[cast.org.slug])
    html = login(cast.member).get(inbox).content.decode()
    assert services.OPEN_TO_READ in html and "First harsh wording" not in html
    with tenant_context(cast.org.pk):
        assert Feedback.objects.get().read_at is None  # the inbox did not read it
    corrected = login(cast.member2).post(
        url(cast, "feedback_correct", feedback.pk), {"body": "Softer wording"}
    )
    assert corrected.status_code == 302
    html = login(cast.member).get(inbox).content.decode()
    assert "First harsh wording" not in html and "Softer wording" not in html
    opened = login(cast.member).get(url(cast, "feedback_detail", feedback.pk))
    assert "Softer wording" in opened.content.decode()


def test_the_feedback_about_a_goal_says_edited_like_every_list(cast, cycle, login):
    goal = GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED)
    feedback = give(cast, cast.member2, cast.member, body="Nice", goal=goal, visibility="public")
    with tenant_context(cast.org.pk):
        services.correct_feedback(actor=Actor(cast.member2), feedback=feedback, body="Nice work")
    client = login(cast.manager)
    for page in (
        url(cast, "feedback_on_goal", goal.pk),
        reverse("goals:goal_detail", args=[cast.org.slug, goal.pk]),
    ):
        html = client.get(page).content.decode()
        assert "Nice work" in html and '<span class="badge">edited</span>' in html


@pytest.mark.parametrize("size", [1, 8])
def test_the_feedback_about_a_goal_reads_a_fixed_number_of_queries(
    cast, cycle, login, django_assert_num_queries, size
):
    goal = GoalFactory(owner=cast.member, cycle=cycle, status=GoalStatus.APPROVED)
    for i in range(size):
        give(cast, cast.member2, cast.member, body=f"Note {i}", goal=goal, visibility="public")
    client = login(cast.manager)
    # The goal, the subtree, the count and the page of feedback (with the givers,
    # recipients, the goal, whether each was edited and whether the viewer sees its goal),
    # the organisation switcher.
    with django_assert_num_queries(request_queries() + GOAL_FEEDBACK_QUERIES):
        assert client.get(url(cast, "feedback_on_goal", goal.pk)).status_code == 200
    # The goal page's section: one query for the newest five, whatever the number.
    with django_assert_num_queries(request_queries() + GOAL_PAGE_QUERIES):
        page = client.get(reverse("goals:goal_detail", args=[cast.org.slug, goal.pk]))
    assert page.content.decode().count('class="feedback-item') == min(size, 5)


def test_the_people_list_and_the_home_page_lead_to_a_colleagues_page(cast, login):
    colleague = reverse("feedback:person", args=[cast.org.slug, cast.member.pk])
    people = login(cast.member2).get(reverse("orgs:people", args=[cast.org.slug]))
    assert f'href="{colleague}"' in people.content.decode()
    # Bob reports to Mallory: her home page lists him, linked.
    home = login(cast.manager).get(reverse("orgs:org_home", args=[cast.org.slug]))
    assert f'href="{colleague}">{cast.member.display_name}</a>' in home.content.decode()

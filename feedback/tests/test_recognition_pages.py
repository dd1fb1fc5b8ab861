"""The recognition pages: the feed (filters, load more, query counts), one kudos,
giving kudos (every refusal), reactions, company values (admins), and the counts on
the person page, the team page and the org home."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from core.tenancy import tenant_context
from feedback import recognition as rec
from feedback.models import CompanyValue, Reaction, Recognition
from feedback.tests.test_recognition_services import at, give, make_value, nothing_saved
from goals.access import Actor
from notifications.models import Kind, Notification
from tests.factories import CycleFactory, GoalFactory, MembershipFactory
from tests.test_query_counts import request_queries

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, cast, *args) -> str:
    return reverse(f"recognition:{name}", args=[cast.org.slug, *args])


def html_of(response) -> str:
    return response.content.decode()


# --- The feed -------------------------------------------------------------------------


def test_the_feed_shows_the_newest_kudos_first_with_everything_in_it(cast, login):
    value = make_value(cast.org, emoji="🤝", colour="#aa3300")
    goal = GoalFactory(owner=cast.member, status="active", title="Ship the mobile app")
    older = give(cast.admin, [cast.member2], message="Older one")
    at(older, timezone.now() - timedelta(hours=1))
    give(cast.manager, [cast.member, cast.member2], message="Great launch", value=value,
         goals=[goal])  # fmt: skip
    response = login(cast.member2).get(url("feed", cast))
    assert response.status_code == 200
    html = html_of(response)
    assert html.index("Great launch") < html.index("Older one")
    assert "Mallory Manager (Acme)" in html and "Bob Member (Acme)" in html
    assert "Customers first" in html and 'fill="#aa3300"' in html
    assert "Ship the mobile app" in html
    assert 'aria-pressed="false"' in html


def test_a_private_goal_link_shows_no_title_to_those_who_may_not_see_it(cast, login):
    goal = GoalFactory(owner=cast.member2, status="active", visibility="private", title="Secret")
    give(cast.manager, [cast.member2], goals=[goal])
    html = html_of(login(cast.member).get(url("feed", cast)))
    assert "Secret" not in html and "a private goal" in html
    html = html_of(login(cast.member2).get(url("feed", cast)))
    assert "Secret" in html and "a private goal" not in html


def test_another_organisation_sees_none_of_it(cast, login):
    kudos = give(cast.manager, [cast.member], message="Acme only")
    client = login(cast.other_admin)
    html = html_of(client.get(reverse("recognition:feed", args=[cast.other_org.slug])))
    assert "Acme only" not in html
    assert client.get(url("detail", cast, kudos.pk)).status_code == 404
    other = reverse("recognition:detail", args=[cast.other_org.slug, kudos.pk])
    assert client.get(other).status_code == 404


def test_the_feed_filters_by_unit_with_the_units_below_it(cast, login):
    give(cast.admin, [cast.member], message="To Bob in Platform")
    give(cast.member, [cast.manager], message="To Mallory in Engineering")
    give(cast.member, [cast.admin], message="To Alice at the top")
    client = login(cast.member2)
    html = html_of(client.get(url("feed", cast), {"unit": cast.engineering.pk}))
    assert "To Bob in Platform" in html and "To Mallory in Engineering" in html
    assert "To Alice at the top" not in html
    html = html_of(client.get(url("feed", cast), {"unit": cast.platform.pk}))
    assert "To Bob in Platform" in html and "To Mallory in Engineering" not in html
    # Another organisation's unit is no filter at all.
    html = html_of(client.get(url("feed", cast), {"unit": cast.other_unit.pk}))
    assert "To Alice at the top" in html


def test_the_feed_filters_by_person_received_and_by_value(cast, login):
    value = make_value(cast.org)
    give(cast.admin, [cast.member], message="Bob with value", value=value)
    give(cast.member, [cast.member2], message="Carol without")
    client = login(cast.manager)
    html = html_of(client.get(url("feed", cast), {"person": cast.member.pk}))
    assert "Bob with value" in html and "Carol without" not in html
    html = html_of(client.get(url("feed", cast), {"q": "member2@acme.test"}))
    assert "Carol without" in html and "Bob with value" not in html
    html = html_of(client.get(url("feed", cast), {"value": value.pk}))
    assert "Bob with value" in html and "Carol without" not in html
    html = html_of(client.get(url("feed", cast), {"q": "nobody@acme.test"}))
    assert "No active colleague matches" in html


def test_the_feed_loads_twenty_at_a_time_and_the_rest_with_load_more(cast, login):
    now = timezone.now()
    for i in range(25):
        at(
            give(cast.admin, [cast.member], message=f"Kudos number {i:02}"),
            now - timedelta(minutes=i),
        )
    client = login(cast.member2)
    response = client.get(url("feed", cast))
    first = response.context["kudos_list"]
    assert [k.message for k in first] == [f"Kudos number {i:02}" for i in range(20)]
    cursor = response.context["next_cursor"]
    html = html_of(response)
    assert f'href="/o/acme/recognition/?after={cursor}"' in html and "Load more" in html
    more = client.get(url("feed", cast), {"after": cursor}, **HTMX)
    assert [k.message for k in more.context["kudos_list"]] == [
        f"Kudos number {i:02}" for i in range(20, 25)
    ]
    assert more.context["next_cursor"] is None
    assert "<h1>" not in html_of(more) and "Load more" not in html_of(more)
    # Without JavaScript the same link is a whole page.
    assert "<h1>Recognition</h1>" in html_of(client.get(url("feed", cast), {"after": cursor}))


def test_kudos_given_in_the_same_instant_are_neither_lost_nor_repeated(cast, login):
    now = timezone.now()
    for i in range(23):
        at(give(cast.admin, [cast.member], message=f"Same time {i}"), now)
    client = login(cast.member2)
    response = client.get(url("feed", cast))
    seen = [k.pk for k in response.context["kudos_list"]]
    more = client.get(url("feed", cast), {"after": response.context["next_cursor"]})
    seen += [k.pk for k in more.context["kudos_list"]]
    assert len(seen) == len(set(seen)) == 23


@pytest.mark.parametrize("after", ["x", "-", "1-", "99999999999999999999-1", "1-\x00"])
def test_a_broken_cursor_is_the_first_page(cast, login, after):
    give(cast.admin, [cast.member])
    response = login(cast.member2).get(url("feed", cast), {"after": after})
    assert response.status_code == 200


def _busy_feed(cast, count: int) -> None:
    """``count`` kudos, each to two people with two goals, a value and three reactions."""
    value = make_value(cast.org)
    cycle = CycleFactory(org=cast.org)
    goals = [
        GoalFactory(owner=cast.member, cycle=cycle, status="active"),
        GoalFactory(owner=cast.member2, cycle=cycle, status="active", visibility="private"),
    ]
    for _ in range(count):
        kudos = give(cast.manager, [cast.member, cast.member2], value=value, goals=goals)
        with tenant_context(cast.org.pk):
            for who, emoji in ((cast.admin, "clap"), (cast.member, "clap"), (cast.member, "tada")):
                rec.react(actor=Actor(who), recognition=kudos, emoji=emoji)


# The page of kudos with givers and values, their recipients, goals and reaction
# counts, the value filter's values, the organisation switcher; a member also reads
# their reporting subtree once (to tell which goals they may see). The unit filter
# reads nothing: its suggestions come as one types.
FEED = 6


@pytest.mark.parametrize("count", [3, 40])
def test_the_feed_reads_a_fixed_number_of_queries(cast, login, django_assert_num_queries, count):
    _busy_feed(cast, count)
    client = login(cast.member)  # Carol's private goal: Bob's reporting subtree is read
    with django_assert_num_queries(request_queries() + FEED + 1):
        response = client.get(url("feed", cast))
    assert len(response.context["kudos_list"]) == min(count, rec.FEED_PAGE)
    # Load more (htmx): no value menu, no switcher.
    if count > rec.FEED_PAGE:
        with django_assert_num_queries(request_queries() + FEED + 1 - 2):
            client.get(url("feed", cast), {"after": response.context["next_cursor"]}, **HTMX)


@pytest.mark.parametrize("count", [3, 40])
def test_one_kudos_reads_a_fixed_number_of_queries(cast, login, django_assert_num_queries, count):
    _busy_feed(cast, count)
    with tenant_context(cast.org.pk):
        kudos = Recognition.objects.filter(org=cast.org).first()
    client = login(cast.admin)
    # the kudos, its recipients, goals, reaction counts, the switcher
    with django_assert_num_queries(request_queries() + 5):
        assert client.get(url("detail", cast, kudos.pk)).status_code == 200


# --- Giving kudos -------------------------------------------------------------------


def post_give(client, cast, **data):
    body = {"action": "give", "message": "Thank you!", **data}
    return client.post(url("give", cast), body)


def test_it_gives_kudos_with_a_value_and_a_goal_and_notifies(cast, login):
    value = make_value(cast.org)
    goal = GoalFactory(owner=cast.member2, status="active", title="Cut costs")
    client = login(cast.member)
    response = post_give(client, cast, recipients=[cast.member2.pk], value=value.pk,
                         goals=[goal.pk])  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-3000:]
    kudos = Recognition.objects.get(org=cast.org)
    assert response["Location"] == f"/o/acme/recognition/#kudos-{kudos.pk}"
    assert kudos.value == value and list(kudos.goals.values_list("goal", flat=True)) == [goal.pk]
    note = Notification.objects.get(org=cast.org, kind=Kind.RECOGNITION)
    assert note.recipient == cast.member2
    assert note.data["title"] == "Bob Member (Acme) recognised you for Customers first"
    page = html_of(client.get(response["Location"]))
    assert "Kudos given" in page and "Cut costs" in page


def test_add_puts_a_colleague_on_the_list_and_offers_their_goals(cast, login):
    GoalFactory(owner=cast.member2, status="active", title="Carol's goal")
    GoalFactory(owner=cast.manager, status="active", title="Mallory's goal")
    client = login(cast.member)
    response = client.post(
        url("give", cast), {"action": "add", "q": "member2@acme.test", "message": "Kept"}
    )
    assert response.status_code == 200
    html = html_of(response)
    assert f'name="recipients" value="{cast.member2.pk}"' in html
    assert "Carol&#x27;s goal" in html and "Mallory&#x27;s goal" not in html
    assert "Kept</textarea>" in html
    assert not Recognition.objects.filter(org=cast.org).exists()
    # By full name too, then Remove.
    response = client.post(
        url("give", cast),
        {"action": "add", "q": "Mallory Manager (Acme)", "recipients": [cast.member2.pk]},
    )
    assert response.context["people"] == [cast.member2, cast.manager]
    response = client.post(
        url("give", cast),
        {"remove": cast.member2.pk, "recipients": [cast.member2.pk, cast.manager.pk]},
    )
    assert response.context["people"] == [cast.manager]


def test_get_with_to_starts_with_that_colleague(cast, login):
    response = login(cast.member).get(url("give", cast), {"to": cast.member2.pk})
    assert response.context["people"] == [cast.member2]
    response = login(cast.member).get(url("give", cast), {"to": cast.other_member.pk})
    assert response.context["people"] == []


def _refused(response, cast, message: str) -> None:
    assert response.status_code == 400
    assert escape(message) in html_of(response)
    assert "Nothing was saved" in html_of(response)
    assert nothing_saved(cast.org)
    assert not Notification.objects.filter(org=cast.org, kind=Kind.RECOGNITION).exists()


def test_the_form_refuses_yourself(cast, login):
    client = login(cast.member)
    _refused(post_give(client, cast, recipients=[cast.member.pk]), cast, rec.TO_SELF)
    response = post_give(client, cast, q="member@acme.test", recipients=[cast.member2.pk])
    _refused(response, cast, rec.TO_SELF)


def test_the_form_refuses_a_deactivated_person(cast, login):
    with tenant_context(cast.org.pk):
        cast.member2.is_active = False
        cast.member2.save(update_fields=["is_active"])
    client = login(cast.member)
    _refused(post_give(client, cast, recipients=[cast.member2.pk]), cast, rec.NOT_A_COLLEAGUE)
    _refused(post_give(client, cast, q="member2@acme.test"), cast, rec.NOT_A_COLLEAGUE)


def test_the_form_refuses_someone_of_another_organisation(cast, login):
    client = login(cast.member)
    response = post_give(client, cast, recipients=[cast.other_member.pk])
    _refused(response, cast, rec.NOT_A_COLLEAGUE)
    _refused(post_give(client, cast, q="member@globex.test"), cast, "No active colleague matches")


def test_the_form_refuses_nobody_and_more_than_twenty(cast, login):
    client = login(cast.member)
    _refused(post_give(client, cast), cast, rec.NO_RECIPIENT)
    many = MembershipFactory.create_batch(21, org=cast.org)
    response = post_give(client, cast, recipients=[p.pk for p in many])
    _refused(response, cast, rec.TOO_MANY_RECIPIENTS)


@pytest.mark.parametrize(
    ("message", "error"), [("", rec.MESSAGE_EMPTY), ("x" * 2001, rec.MESSAGE_TOO_LONG)]
)
def test_the_form_refuses_an_empty_or_over_long_message(cast, login, message, error):
    response = post_give(login(cast.member), cast, recipients=[cast.member2.pk], message=message)
    _refused(response, cast, error)


def test_the_form_refuses_a_goal_that_is_not_a_recipients(cast, login):
    goal = GoalFactory(owner=cast.manager, status="active")
    response = post_give(login(cast.member), cast, recipients=[cast.member2.pk], goals=[goal.pk])
    _refused(response, cast, rec.GOAL_NOT_THEIRS)


@pytest.mark.parametrize("which", ["archived", "other_org"])
def test_the_form_refuses_an_archived_or_another_organisations_value(cast, login, which):
    if which == "archived":
        value = make_value(cast.org, is_active=False)
    else:
        value = make_value(cast.other_org)
    response = post_give(login(cast.member), cast, recipients=[cast.member2.pk], value=value.pk)
    _refused(response, cast, rec.VALUE_UNAVAILABLE)


def test_the_form_offers_only_active_values(cast, login):
    make_value(cast.org, name="Old way", is_active=False)
    make_value(cast.org, name="New way")
    html = html_of(login(cast.member).get(url("give", cast)))
    assert "New way" in html and "Old way" not in html


@pytest.mark.parametrize("hostile", ["\x00", "9" * 40, "-1", "abc"])
def test_hostile_recipients_are_a_clear_refusal(cast, login, hostile):
    response = post_give(login(cast.member), cast, recipients=[hostile])
    _refused(response, cast, rec.NOT_A_COLLEAGUE)


# --- Reactions ------------------------------------------------------------------------


def test_a_reaction_toggles_with_htmx_and_without(cast, login):
    kudos = give(cast.manager, [cast.member])
    client = login(cast.member2)
    response = client.post(url("react", cast, kudos.pk), {"emoji": "clap"}, **HTMX)
    assert response.status_code == 200
    html = html_of(response)
    assert 'aria-pressed="true"' in html and '<span class="reaction-count">1</span>' in html
    response = client.post(
        url("react", cast, kudos.pk), {"emoji": "clap", "next": "/o/acme/recognition/"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/o/acme/recognition/#kudos-{kudos.pk}"
    assert not Reaction.objects.filter(org=cast.org).exists()


def test_a_reaction_goes_back_only_to_this_site(cast, login):
    kudos = give(cast.manager, [cast.member])
    response = login(cast.member2).post(
        url("react", cast, kudos.pk), {"emoji": "tada", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/o/acme/recognition/{kudos.pk}/#kudos-{kudos.pk}"


def test_an_unknown_reaction_is_refused(cast, login):
    kudos = give(cast.manager, [cast.member])
    response = login(cast.member2).post(url("react", cast, kudos.pk), {"emoji": "poop"})
    assert response.status_code == 400
    assert not Reaction.objects.filter(org=cast.org).exists()


def test_reactions_each_count_once_per_person(cast, login):
    kudos = give(cast.manager, [cast.member])
    for who in (cast.member, cast.member2):
        client = login(who)
        client.post(url("react", cast, kudos.pk), {"emoji": "heart"})
        client.post(url("react", cast, kudos.pk), {"emoji": "rocket"})
    html = html_of(login(cast.admin).get(url("detail", cast, kudos.pk)))
    assert html.count('<span class="reaction-count">2</span>') == 2
    assert Reaction.objects.filter(org=cast.org).count() == 4


# --- Company values ---------------------------------------------------------------------


def test_an_admin_adds_edits_archives_restores_and_orders_values(cast, login):
    client = login(cast.admin)
    assert client.get(url("values", cast)).status_code == 200
    response = client.post(
        url("values", cast),
        {"name": "Ownership", "description": "We own it", "emoji": "🚀", "colour": "#112233"},
    )
    assert response.status_code == 302
    client.post(url("values", cast), {"name": "Candour", "colour": "#445566"})
    first, second = CompanyValue.objects.filter(org=cast.org)
    assert (first.name, first.emoji, second.name) == ("Ownership", "🚀", "Candour")
    response = client.post(
        url("value_edit", cast, first.pk), {"name": "Owner mindset", "colour": "#112233"}
    )
    assert response.status_code == 302
    client.post(url("value_archive", cast, first.pk))
    first.refresh_from_db()
    assert first.name == "Owner mindset" and not first.is_active
    assert "Archived" in html_of(client.get(url("values", cast)))
    client.post(url("value_archive", cast, first.pk))
    first.refresh_from_db()
    assert first.is_active
    client.post(url("value_move", cast, second.pk), {"direction": "up"})
    assert [v.name for v in CompanyValue.objects.filter(org=cast.org)] == [
        "Candour",
        "Owner mindset",
    ]


def test_a_bad_value_is_a_clear_message_and_nothing_saved(cast, login):
    make_value(cast.org, name="Ownership")
    client = login(cast.admin)
    response = client.post(url("values", cast), {"name": "ownership", "colour": "#112233"})
    assert response.status_code == 400 and rec.VALUE_NAME_TAKEN in html_of(response)
    response = client.post(url("values", cast), {"name": "New", "emoji": "xx", "colour": "#112233"})
    assert response.status_code == 400 and rec.VALUE_EMOJI_INVALID in html_of(response)
    assert CompanyValue.objects.filter(org=cast.org).count() == 1


@pytest.mark.parametrize("who", ["manager", "member"])
def test_values_are_for_admins_only(cast, login, who):
    value = make_value(cast.org)
    client = login(getattr(cast, who))
    assert client.get(url("values", cast)).status_code == 403
    assert client.post(url("values", cast), {"name": "X", "colour": "#112233"}).status_code == 403
    assert client.post(url("value_archive", cast, value.pk)).status_code == 403
    assert client.get(url("value_edit", cast, value.pk)).status_code == 403
    assert CompanyValue.objects.get(pk=value.pk).is_active
    assert CompanyValue.objects.filter(org=cast.org).count() == 1


def test_another_organisations_value_is_404(cast, login):
    value = make_value(cast.other_org)
    client = login(cast.admin)
    assert client.get(url("value_edit", cast, value.pk)).status_code == 404
    assert client.post(url("value_archive", cast, value.pk)).status_code == 404


def test_only_admins_see_the_company_values_link(cast, login):
    link = url("values", cast)
    assert link in html_of(login(cast.admin).get(reverse("orgs:org_settings", args=["acme"])))
    assert link not in html_of(login(cast.member).get(reverse("orgs:api_tokens", args=["acme"])))


# --- Counts on other pages ----------------------------------------------------------


def test_the_org_home_shows_the_most_recognised_values_this_cycle(cast, login):
    CycleFactory(org=cast.org, name="Q4")
    value = make_value(cast.org, name="Customers first")
    other = make_value(cast.org, name="Candour")
    give(cast.manager, [cast.member], value=value)
    give(cast.manager, [cast.member2], value=value)
    give(cast.admin, [cast.member2], value=other)
    old = give(cast.admin, [cast.member], value=other)
    at(old, timezone.now() - timedelta(days=100))
    response = login(cast.member).get(reverse("orgs:org_home", args=["acme"]))
    summary = response.context["recognition"]
    assert summary["count"] == 3
    assert [(v["name"], v["n"]) for v in summary["top_values"]] == [
        ("Customers first", 2),
        ("Candour", 1),
    ]
    html = html_of(response)
    assert "Most recognised values this cycle" in html and url("feed", cast) in html


def test_the_team_page_shows_each_persons_kudos_this_cycle(cast, login):
    CycleFactory(org=cast.org, name="Q4")
    give(cast.admin, [cast.member])
    give(cast.member2, [cast.member])
    html = html_of(login(cast.manager).get(reverse("goals:team_goals", args=["acme"])))
    assert f'?person={cast.member.pk}">2 kudos</a> received in Q4' in html
    assert f'?person={cast.member2.pk}">0 kudos</a>' in html


def test_the_person_section_renders_the_summary(cast, rf):
    from django.template.loader import render_to_string

    cycle = CycleFactory(org=cast.org, name="Q4")
    value = make_value(cast.org)
    give(cast.admin, [cast.member], value=value, message="First")
    give(cast.member2, [cast.member], message="Second")
    with tenant_context(cast.org.pk):
        summary = rec.person_summary(org=cast.org, person=cast.member, cycle=cycle)
    html = render_to_string(
        "feedback/_person_recognition.html",
        {"person_recognition": summary, "org": cast.org, "may_give": True},
    )
    assert f"/o/acme/recognition/new/?to={cast.member.pk}" in html
    assert "Kudos in Q4" in html and ">2</strong> kudos received" in html
    assert "Customers first" in html and "× 1" in html
    assert html.index("Second") < html.index("First")


def test_the_person_summary_reads_two_queries(cast, django_assert_num_queries):
    cycle = CycleFactory(org=cast.org)
    for _ in range(5):
        give(cast.admin, [cast.member], value=make_value(cast.org, name=f"V{_}"))
    with tenant_context(cast.org.pk), django_assert_num_queries(2):
        summary = rec.person_summary(org=cast.org, person=cast.member, cycle=cycle)
    assert summary["count"] == 5 and len(summary["latest"]) == rec.LATEST_SHOWN

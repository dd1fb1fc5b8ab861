"""Kudos, reactions and company values: the rules of feedback.recognition."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.tenancy import tenant_context
from feedback import recognition as rec
from feedback.models import (
    MAX_KUDOS,
    CompanyValue,
    Reaction,
    Recognition,
    RecognitionGoal,
    RecognitionRecipient,
)
from goals.access import Actor
from notifications.models import Kind, Notification
from tests.factories import CycleFactory, GoalFactory


def make_value(org, name="Customers first", **fields) -> CompanyValue:
    with tenant_context(org.pk):
        return CompanyValue.objects.create(org=org, name=name, **fields)


def give(giver, recipients, message="Thanks for the launch!", **kwargs) -> Recognition:
    with tenant_context(giver.org_id):
        return rec.give_kudos(actor=Actor(giver), recipients=recipients, message=message, **kwargs)


def at(kudos: Recognition, when) -> Recognition:
    """Move a kudos (and its recipients' copy of the time) to ``when``."""
    with tenant_context(kudos.org_id):
        Recognition.objects.filter(pk=kudos.pk).update(created_at=when)
        RecognitionRecipient.objects.filter(recognition=kudos).update(created_at=when)
    kudos.created_at = when
    return kudos


def nothing_saved(org) -> bool:
    with tenant_context(org.pk):
        return not (
            Recognition.objects.filter(org=org).exists()
            or RecognitionRecipient.objects.filter(org=org).exists()
            or RecognitionGoal.objects.filter(org=org).exists()
        )


def refused(giver, field: str, error: str, recipients, **kwargs) -> None:
    with pytest.raises(ValidationError) as caught:
        give(giver, recipients, **kwargs)
    assert caught.value.message_dict[field] == [error]
    assert nothing_saved(giver.org)


# --- Giving ---------------------------------------------------------------------------


def test_it_records_kudos_to_several_colleagues_with_a_value_and_their_goals(cast):
    value = make_value(cast.org)
    goal = GoalFactory(owner=cast.member, status="active")
    kudos = give(cast.manager, [cast.member, cast.member2], value=value, goals=[goal])
    with tenant_context(cast.org.pk):
        people = set(kudos.recipients.values_list("person_id", flat=True))
        assert people == {cast.member.pk, cast.member2.pk}
        assert list(kudos.goals.values_list("goal_id", flat=True)) == [goal.pk]
        copied = set(kudos.recipients.values_list("created_at", flat=True))
    assert copied == {kudos.created_at}
    assert kudos.value == value and kudos.message == "Thanks for the launch!"


def test_it_notifies_each_recipient_with_the_sentence_the_quote_and_the_link(cast):
    value = make_value(cast.org)
    kudos = give(cast.manager, [cast.member, cast.member2], value=value)
    with tenant_context(cast.org.pk):
        sent = list(Notification.objects.filter(org=cast.org, kind=Kind.RECOGNITION))
    assert {n.recipient_id for n in sent} == {cast.member.pk, cast.member2.pk}
    data = sent[0].data
    assert data["title"] == "Mallory Manager (Acme) recognised you for Customers first"
    assert data["path"] == f"/o/acme/recognition/{kudos.pk}/"
    assert data["quote"] == "Thanks for the launch!"


def test_without_a_value_the_sentence_names_only_the_giver(cast):
    give(cast.manager, [cast.member])
    with tenant_context(cast.org.pk):
        note = Notification.objects.get(org=cast.org, kind=Kind.RECOGNITION)
    assert note.data["title"] == "Mallory Manager (Acme) recognised you"


def test_the_quote_is_cut_to_300_characters(cast):
    give(cast.manager, [cast.member], message="x" * 1000)
    with tenant_context(cast.org.pk):
        note = Notification.objects.get(org=cast.org, kind=Kind.RECOGNITION)
    assert len(note.data["quote"]) == 300


def test_it_refuses_kudos_to_yourself(cast):
    refused(cast.member, "recipients", rec.TO_SELF, [cast.member2, cast.member])


def test_it_refuses_nobody(cast):
    refused(cast.member, "recipients", rec.NO_RECIPIENT, [])


def test_it_refuses_more_than_twenty_people(cast):
    from tests.factories import MembershipFactory

    many = MembershipFactory.create_batch(21, org=cast.org)
    refused(cast.member, "recipients", rec.TOO_MANY_RECIPIENTS, many)


def test_twenty_people_are_allowed(cast):
    from tests.factories import MembershipFactory

    many = MembershipFactory.create_batch(20, org=cast.org)
    kudos = give(cast.member, many)
    with tenant_context(cast.org.pk):
        assert kudos.recipients.count() == 20


def test_it_refuses_a_deactivated_person(cast):
    with tenant_context(cast.org.pk):
        cast.member2.is_active = False
        cast.member2.save(update_fields=["is_active"])
    refused(cast.member, "recipients", rec.NOT_A_COLLEAGUE, [cast.manager, cast.member2])


def test_it_refuses_someone_of_another_organisation(cast):
    refused(cast.member, "recipients", rec.NOT_A_COLLEAGUE, [cast.other_member])


def test_it_refuses_an_unknown_person(cast):
    refused(cast.member, "recipients", rec.NOT_A_COLLEAGUE, [None])


@pytest.mark.parametrize("message", ["", "   ", "\x00"])
def test_it_refuses_an_empty_message(cast, message):
    refused(cast.member, "message", rec.MESSAGE_EMPTY, [cast.member2], message=message)


def test_it_refuses_an_over_long_message_and_takes_the_longest(cast):
    refused(
        cast.member, "message", rec.MESSAGE_TOO_LONG, [cast.member2], message="x" * (MAX_KUDOS + 1)
    )
    kudos = give(cast.member, [cast.member2], message="x" * MAX_KUDOS)
    assert len(kudos.message) == MAX_KUDOS


def test_it_refuses_an_archived_value(cast):
    value = make_value(cast.org, is_active=False)
    refused(cast.member, "value", rec.VALUE_UNAVAILABLE, [cast.member2], value=value)


def test_it_refuses_another_organisations_value(cast):
    value = make_value(cast.other_org)
    refused(cast.member, "value", rec.VALUE_UNAVAILABLE, [cast.member2], value=value)


def test_it_refuses_a_goal_that_is_not_a_recipients(cast):
    goal = GoalFactory(owner=cast.manager, status="active")
    refused(cast.member, "goals", rec.GOAL_NOT_THEIRS, [cast.member2], goals=[goal])


def test_it_refuses_another_organisations_goal(cast):
    goal = GoalFactory(owner=cast.other_member, status="active")
    refused(cast.member, "goals", rec.GOAL_NOT_THEIRS, [cast.member2], goals=[goal])


def test_it_refuses_a_private_goal_the_giver_may_not_see(cast):
    goal = GoalFactory(owner=cast.member2, status="active", visibility="private")
    refused(cast.member, "goals", rec.GOAL_NOT_THEIRS, [cast.member2], goals=[goal])
    # Carol's manager may see it, so may link it.
    kudos = give(cast.manager, [cast.member2], goals=[goal])
    with tenant_context(cast.org.pk):
        assert kudos.goals.count() == 1


def test_it_refuses_more_than_five_goals(cast):
    cycle = CycleFactory(org=cast.org)
    goals = GoalFactory.create_batch(6, owner=cast.member2, cycle=cycle, status="active")
    refused(cast.member, "goals", rec.TOO_MANY_GOALS, [cast.member2], goals=goals)
    give(cast.member, [cast.member2], goals=goals[:5])


def test_it_reports_every_problem_at_once(cast):
    with pytest.raises(ValidationError) as caught:
        give(cast.member, [cast.member], message="", value=make_value(cast.org, is_active=False))
    assert set(caught.value.message_dict) == {"recipients", "message", "value"}
    assert nothing_saved(cast.org)


# --- Reactions --------------------------------------------------------------------------


def test_each_emoji_counts_once_per_person_and_toggles_back(cast):
    kudos = give(cast.manager, [cast.member])
    with tenant_context(cast.org.pk):
        carol = Actor(cast.member2)
        assert rec.toggle_reaction(actor=carol, recognition=kudos, emoji="clap") is True
        rec.react(actor=carol, recognition=kudos, emoji="clap")
        rec.react(actor=carol, recognition=kudos, emoji="tada")
        rec.react(actor=Actor(cast.member), recognition=kudos, emoji="clap")
        assert Reaction.objects.filter(recognition=kudos, emoji="clap").count() == 2
        assert rec.toggle_reaction(actor=carol, recognition=kudos, emoji="clap") is False
        assert Reaction.objects.filter(recognition=kudos, emoji="clap").count() == 1
        rec.unreact(actor=carol, recognition=kudos, emoji="tada")
        assert not Reaction.objects.filter(recognition=kudos, person=cast.member2).exists()


def test_the_giver_may_react_to_their_own_kudos(cast):
    kudos = give(cast.manager, [cast.member])
    with tenant_context(cast.org.pk):
        rec.react(actor=Actor(cast.manager), recognition=kudos, emoji="heart")
        assert Reaction.objects.filter(recognition=kudos).count() == 1


def test_it_refuses_an_emoji_that_is_not_offered(cast):
    kudos = give(cast.manager, [cast.member])
    with tenant_context(cast.org.pk), pytest.raises(ValidationError) as caught:
        rec.react(actor=Actor(cast.member2), recognition=kudos, emoji="poop")
    assert caught.value.message_dict == {"emoji": [rec.EMOJI_UNKNOWN]}


def test_hydrate_counts_reactions_and_marks_the_viewers(cast):
    kudos = give(cast.manager, [cast.member])
    with tenant_context(cast.org.pk):
        rec.react(actor=Actor(cast.member2), recognition=kudos, emoji="clap")
        rec.react(actor=Actor(cast.member), recognition=kudos, emoji="clap")
        [shown] = rec.hydrate(Actor(cast.member2), [Recognition.objects.get(pk=kudos.pk)])
    counts = {r.emoji: (r.count, r.mine) for r in shown.reaction_counts}
    assert counts["clap"] == (2, True) and counts["tada"] == (0, False)


def test_a_private_goal_shows_as_a_private_goal_to_those_who_may_not_see_it(cast):
    goal = GoalFactory(owner=cast.member2, status="active", visibility="private", title="Secret")
    kudos = give(cast.manager, [cast.member2], goals=[goal])
    with tenant_context(cast.org.pk):
        [for_bob] = rec.hydrate(Actor(cast.member), [Recognition.objects.get(pk=kudos.pk)])
        [for_carol] = rec.hydrate(Actor(cast.member2), [Recognition.objects.get(pk=kudos.pk)])
    assert for_bob.goal_links[0].visible is False and for_bob.goal_links[0].title == ""
    assert for_carol.goal_links[0].title == "Secret"


# --- Company values ----------------------------------------------------------------------


def create_value(actor, **fields):
    values = {"name": "Ownership", "description": "", "emoji": "", "colour": "#0b6e5f", **fields}
    with tenant_context(actor.org_id):
        return rec.value_create(actor=Actor(actor), **values)


def test_an_admin_adds_values_in_order(cast):
    first = create_value(cast.admin, name="Ownership", emoji="🚀", colour="#AABBCC")
    second = create_value(cast.admin, name="Customers first")
    assert (first.position, second.position) == (0, 1)
    assert first.colour == "#aabbcc"
    with tenant_context(cast.org.pk):
        assert list(rec.values_of(cast.org)) == [first, second]
        rec.value_move(actor=Actor(cast.admin), value=second, up=True)
        assert list(rec.values_of(cast.org)) == [second, first]
        rec.value_move(actor=Actor(cast.admin), value=second, up=True)  # already first
        assert list(rec.values_of(cast.org)) == [second, first]


@pytest.mark.parametrize("who", ["manager", "member"])
def test_only_admins_change_values(cast, who):
    with pytest.raises(PermissionDenied):
        create_value(getattr(cast, who))
    value = make_value(cast.org)
    with tenant_context(cast.org.pk):
        with pytest.raises(PermissionDenied):
            rec.value_update(actor=Actor(getattr(cast, who)), value=value, is_active=False)
        with pytest.raises(PermissionDenied):
            rec.value_move(actor=Actor(getattr(cast, who)), value=value, up=True)
        assert CompanyValue.objects.get(pk=value.pk).is_active


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", rec.VALUE_NAME_EMPTY),
        ({"name": "x" * 61}, "name", rec.VALUE_NAME_TOO_LONG),
        ({"name": "customers FIRST"}, "name", rec.VALUE_NAME_TAKEN),
        ({"description": "x" * 301}, "description", rec.VALUE_DESCRIPTION_TOO_LONG),
        ({"emoji": "ab"}, "emoji", rec.VALUE_EMOJI_INVALID),
        ({"emoji": "🚀🚀"}, "emoji", rec.VALUE_EMOJI_INVALID),
        ({"colour": "red"}, "colour", rec.VALUE_COLOUR_INVALID),
        ({"colour": "#12345"}, "colour", rec.VALUE_COLOUR_INVALID),
    ],
)
def test_it_refuses_a_bad_value(cast, fields, field, message):
    make_value(cast.org)
    with pytest.raises(ValidationError) as caught:
        create_value(cast.admin, **fields)
    assert caught.value.message_dict[field] == [message]
    with tenant_context(cast.org.pk):
        assert CompanyValue.objects.filter(org=cast.org).count() == 1


def test_the_same_name_is_fine_in_another_organisation(cast):
    make_value(cast.other_org, name="Ownership")
    assert create_value(cast.admin, name="Ownership").name == "Ownership"


@pytest.mark.parametrize("emoji", ["🚀", "❤️", "👍🏽", "🇫🇷", "👩‍💻", "⭐"])
def test_one_emoji_of_any_shape_is_accepted(emoji):
    assert rec.is_one_emoji(emoji)


def test_an_archived_value_stays_on_old_kudos_and_can_be_restored(cast):
    value = make_value(cast.org)
    kudos = give(cast.manager, [cast.member], value=value)
    with tenant_context(cast.org.pk):
        rec.value_update(actor=Actor(cast.admin), value=value, is_active=False)
        assert Recognition.objects.get(pk=kudos.pk).value_id == value.pk
    refused_value = make_value(cast.org, name="Other")  # noqa: F841 - another, active value
    with pytest.raises(ValidationError):
        give(cast.manager, [cast.member], value=value)
    with tenant_context(cast.org.pk):
        rec.value_update(actor=Actor(cast.admin), value=value, is_active=True)
    give(cast.manager, [cast.member], value=value)


# --- Counts within a cycle ------------------------------------------------------------------


def test_counts_take_only_kudos_within_the_cycle(cast):
    cycle = CycleFactory(org=cast.org)
    value = make_value(cast.org)
    inside = give(cast.manager, [cast.member, cast.member2], value=value)
    give(cast.admin, [cast.member])
    before = give(cast.admin, [cast.member], value=value)
    at(before, timezone.now() - timedelta(days=60))  # the cycle began 45 days ago
    with tenant_context(cast.org.pk):
        summary = rec.person_summary(org=cast.org, person=cast.member, cycle=cycle)
        counts = rec.kudos_counts(
            org=cast.org, cycle=cycle, people=[cast.member.pk, cast.member2.pk, cast.admin.pk]
        )
        home = rec.org_summary(org=cast.org)
    assert summary["count"] == 2
    assert [(v["name"], v["count"]) for v in summary["by_value"]] == [("Customers first", 1)]
    assert summary["latest"][-1].pk == inside.pk
    assert counts == {cast.member.pk: 2, cast.member2.pk: 1}
    assert home["count"] == 2
    assert [(v["name"], v["n"]) for v in home["top_values"]] == [("Customers first", 1)]


def test_without_a_cycle_there_is_no_summary(cast):
    assert rec.person_summary(org=cast.org, person=cast.member, cycle=None) is None
    with tenant_context(cast.org.pk):
        assert rec.org_summary(org=cast.org) is None


def test_the_cycles_last_day_counts_in_the_organisations_time_zone(cast):
    cycle = CycleFactory(org=cast.org)
    start, end = rec.cycle_span(cast.org, cycle)
    assert end - start == timedelta(days=91)
    last = give(cast.admin, [cast.member])
    at(last, end - timedelta(seconds=1))
    after = give(cast.admin, [cast.member])
    at(after, end)
    with tenant_context(cast.org.pk):
        assert rec.kudos_counts(org=cast.org, cycle=cycle, people=[cast.member.pk]) == {
            cast.member.pk: 1
        }


# --- Exact limits and edges (pinned by mutation testing) --------------------------------


@pytest.mark.parametrize(
    "emoji",
    [
        "👨‍❤️‍💋‍👨",  # eight code points: the longest accepted
        "🇦🇨",  # the first regional indicator
        "🇿🇦",  # the last regional indicator
        "🈀",  # the symbol just after the regional indicators
    ],
)
def test_these_single_emoji_are_accepted(emoji):
    assert rec.is_one_emoji(emoji)


@pytest.mark.parametrize(
    "text",
    [
        "👨‍❤️‍💋‍👨\ufe0f",  # nine code points
        "🚀^",  # an ASCII character after an emoji
        "中",  # a letter, not a symbol
        "🚀中",  # a letter after an emoji
        "🇫",  # half a flag
        "🇫🇷🚀",  # a flag and an emoji
    ],
)
def test_these_are_not_one_emoji(text):
    assert not rec.is_one_emoji(text)


def test_a_value_name_of_60_characters_and_a_description_of_300_are_accepted(cast):
    value = create_value(cast.admin, name="n" * 60, description="d" * 300)
    assert (len(value.name), len(value.description)) == (60, 300)


def test_a_value_keeps_its_own_name_when_edited(cast):
    value = make_value(cast.org)
    with tenant_context(cast.org.pk):
        rec.value_update(actor=Actor(cast.admin), value=value, name="Customers First")
        assert CompanyValue.objects.get(pk=value.pk).name == "Customers First"


def test_a_value_moves_down_and_the_last_stays_last(cast):
    first = create_value(cast.admin, name="Ownership")
    second = create_value(cast.admin, name="Customers first")
    third = create_value(cast.admin, name="Candour")
    with tenant_context(cast.org.pk):
        rec.value_move(actor=Actor(cast.admin), value=first, up=False)
        assert list(rec.values_of(cast.org)) == [second, first, third]
        rec.value_move(actor=Actor(cast.admin), value=third, up=False)  # already last
        assert list(rec.values_of(cast.org)) == [second, first, third]


def test_another_organisations_value_or_kudos_is_not_found(cast):
    from django.http import Http404

    value = make_value(cast.other_org)
    kudos = give(cast.other_admin, [cast.other_member])
    with tenant_context(cast.org.pk):
        with pytest.raises(Http404):
            rec.get_value(Actor(cast.admin), value.pk)
        with pytest.raises(Http404):
            rec.get_recognition(Actor(cast.admin), kudos.pk)
    with tenant_context(cast.other_org.pk):
        assert rec.get_value(Actor(cast.other_admin), value.pk) == value
        assert rec.get_recognition(Actor(cast.other_admin), kudos.pk) == kudos


def test_the_feed_narrows_by_unit_below_it_by_person_and_by_value(cast):
    value = make_value(cast.org)
    to_bob = give(cast.admin, [cast.member], value=value)
    to_mallory = give(cast.admin, [cast.manager])
    to_alice = give(cast.manager, [cast.admin])

    def shown(**filters):
        with tenant_context(cast.org.pk):
            found = rec.feed(org=cast.org, filters=rec.Filters(**filters) if filters else None)
            return list(found)

    assert shown() == [to_alice, to_mallory, to_bob]
    assert shown(unit=cast.engineering) == [to_mallory, to_bob]
    assert shown(unit=cast.platform) == [to_bob]
    assert shown(person=cast.manager) == [to_mallory]
    assert shown(value=value) == [to_bob]


def test_a_cursor_gives_back_the_kudos_time_and_id(cast):
    kudos = give(cast.manager, [cast.member])
    assert rec.parse_cursor(rec.cursor_of(kudos)) == (kudos.created_at, kudos.pk)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "x-1",
        "1-x",
        "1",
        "-1",
        "1-",
        "١٢-1",
        "1-١٢",
        "1" + "0" * 17 + "-1",
        "1-1" + "0" * 18,
    ],
)
def test_what_is_no_cursor(raw):
    assert rec.parse_cursor(raw) is None


def test_the_longest_cursor_parts_are_read():
    assert rec.parse_cursor("9" * 17 + "-" + "9" * 18) is not None


def test_feed_pages_follow_the_cursor_to_the_end_with_ties_in_time(cast):
    made = [give(cast.manager, [cast.member], message=f"Kudos {i}") for i in range(5)]
    same = timezone.now() - timedelta(hours=1)
    for kudos in made:
        at(kudos, same)
    with tenant_context(cast.org.pk):
        qs = rec.feed(org=cast.org)
        first, cursor = rec.feed_page(qs, after=None, size=2)
        second, cursor2 = rec.feed_page(qs, after=rec.parse_cursor(cursor), size=2)
        third, end = rec.feed_page(qs, after=rec.parse_cursor(cursor2), size=2)
        exact, none = rec.feed_page(qs, after=None, size=5)
    assert [k.pk for k in first + second + third] == [k.pk for k in reversed(made)]
    assert end is None and none is None and len(exact) == 5


def test_a_feed_page_holds_twenty_kudos(cast):
    for i in range(rec.FEED_PAGE + 1):
        give(cast.manager, [cast.member], message=f"Kudos {i}")
    with tenant_context(cast.org.pk):
        page, cursor = rec.feed_page(rec.feed(org=cast.org), after=None)
    assert len(page) == 20 and cursor is not None


def test_the_person_summary_shows_the_latest_three(cast):
    cycle = CycleFactory(org=cast.org)
    made = [give(cast.manager, [cast.member], message=f"Kudos {i}") for i in range(4)]
    with tenant_context(cast.org.pk):
        summary = rec.person_summary(org=cast.org, person=cast.member, cycle=cycle)
        assert rec.person_summary(org=cast.org, person=None, cycle=cycle) is None
    assert summary["count"] == 4
    assert [k.pk for k in summary["latest"]] == [k.pk for k in reversed(made[1:])]


def test_counts_without_a_cycle_or_without_people_are_empty(cast):
    cycle = CycleFactory(org=cast.org)
    give(cast.manager, [cast.member])
    with tenant_context(cast.org.pk):
        assert rec.kudos_counts(org=cast.org, cycle=None, people=[cast.member.pk]) == {}
        assert rec.kudos_counts(org=cast.org, cycle=cycle, people=[]) == {}


def test_the_org_home_shows_the_five_most_recognised_values(cast):
    CycleFactory(org=cast.org)
    for i in range(6):
        value = make_value(cast.org, name=f"Value {i}")
        for _ in range(6 - i):
            give(cast.manager, [cast.member], value=value)
    with tenant_context(cast.org.pk):
        home = rec.org_summary(org=cast.org)
    assert [(v["name"], v["n"]) for v in home["top_values"]] == [
        ("Value 0", 6),
        ("Value 1", 5),
        ("Value 2", 4),
        ("Value 3", 3),
        ("Value 4", 2),
    ]
    assert home["count"] == 21


def test_an_unknown_person_is_refused_even_beside_the_person_with_id_1(cast):
    """Unknown recipients are kept apart from real ones while duplicates are dropped."""
    from orgs.models import Membership
    from tests.factories import MembershipFactory

    people = [cast.admin, cast.manager, cast.member, cast.member2]
    one = next((p for p in people if p.pk == 1), None)
    if one is None:
        fresh = MembershipFactory(org=cast.org)
        with tenant_context(cast.org.pk):
            Membership.objects.filter(pk=fresh.pk).update(id=1)
            one = Membership.objects.get(pk=1)
    giver = cast.member2 if one.pk != cast.member2.pk else cast.member
    refused(giver, "recipients", rec.NOT_A_COLLEAGUE, [None, one])


def test_an_unknown_goal_is_refused_even_beside_the_goal_with_id_1(cast):
    from goals.models import Goal, GoalStatus

    cycle = CycleFactory(org=cast.org)
    with tenant_context(cast.org.pk):
        assert not Goal.objects.filter(pk=1).exists()
        goal = Goal.objects.create(
            id=1,
            org=cast.org,
            cycle=cycle,
            owner=cast.member2,
            title="Ship the API",
            status=GoalStatus.APPROVED,
            due_date=cycle.end,
        )
    refused(cast.member, "goals", rec.GOAL_NOT_THEIRS, [cast.member2], goals=[None, goal])

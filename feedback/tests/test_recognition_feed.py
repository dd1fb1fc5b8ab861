"""The recognition feed stays small: one reaction form per kudos card (one CSRF token),
and a unit filter that suggests units as one types instead of listing them all."""

from __future__ import annotations

import re

import pytest
from django.utils.html import escape

from core.tenancy import tenant_context
from feedback import recognition as rec
from feedback.models import Reaction, ReactionEmoji
from feedback.tests.test_recognition_pages import HTMX, html_of, url
from feedback.tests.test_recognition_services import give
from feedback.views_recognition import UNIT_OPTIONS
from goals.access import Actor
from tests.factories import UnitFactory
from tests.test_query_counts import request_queries

MESSAGE = "Thank you for staying late to get the release out, and for the clear notes. " * 3


def _full_feed(cast, kudos: int, units: int) -> None:
    """``kudos`` kudos each with all five reactions, and ``units`` more units."""
    for i in range(units):
        UnitFactory(org=cast.org, parent=cast.engineering, name=f"Squad {i:03} of the platform")
    reactors = [cast.admin, cast.manager, cast.member, cast.member2, cast.admin]
    for _ in range(kudos):
        kudos_ = give(cast.manager, [cast.member, cast.member2], message=MESSAGE)
        with tenant_context(cast.org.pk):
            for who, emoji in zip(reactors, ReactionEmoji.values, strict=True):
                rec.react(actor=Actor(who), recognition=kudos_, emoji=emoji)


# The page of kudos, recipients, goals, reaction counts, values, the switcher.
FEED = 6


@pytest.mark.parametrize(("kudos", "units"), [(3, 5), (25, 200)])
def test_the_feed_stays_small_and_reads_the_same_queries(
    cast, login, django_assert_num_queries, kudos, units
):
    _full_feed(cast, kudos, units)
    client = login(cast.member2)
    with django_assert_num_queries(request_queries() + FEED):
        response = client.get(url("feed", cast))
    html = html_of(response)
    cards = min(kudos, rec.FEED_PAGE)
    assert html.count('class="card kudos"') == cards
    # Every reaction, its count and whether it is mine, on every card.
    assert html.count('class="reaction"') == 5 * cards
    assert html.count('<span class="reaction-count">1</span>') == 5 * cards
    assert html.count('aria-pressed="true"') == cards  # Carol's own reaction
    # No unit is listed until one types.
    assert "Squad 000" not in html
    if kudos == 25:
        assert len(response.content) < 60_000, len(response.content)


def test_each_card_has_one_reaction_form_with_one_token(cast, login):
    client = login(cast.member2)
    elsewhere = html_of(client.get(url("feed", cast))).count('name="csrfmiddlewaretoken"')
    _full_feed(cast, 3, 0)
    html = html_of(client.get(url("feed", cast)))
    assert html.count('name="csrfmiddlewaretoken"') == elsewhere + 3
    forms = re.findall(r'<form method="post" action="/o/acme/recognition/\d+/react/"', html)
    assert len(forms) == 3
    for emoji in ReactionEmoji.values:
        assert html.count(f'name="emoji" value="{emoji}"') == 3


def test_a_reaction_button_posts_its_emoji_and_comes_back_to_the_card(cast, login):
    kudos = give(cast.manager, [cast.member])
    client = login(cast.member2)
    html = html_of(client.get(url("feed", cast)))
    assert '<input type="hidden" name="next" value="/o/acme/recognition/">' in html
    # What the browser sends for the "Celebrate" button, without JavaScript.
    response = client.post(
        url("react", cast, kudos.pk), {"emoji": "tada", "next": "/o/acme/recognition/"}
    )
    assert response["Location"] == f"/o/acme/recognition/#kudos-{kudos.pk}"
    assert list(Reaction.objects.filter(org=cast.org).values_list("emoji", flat=True)) == ["tada"]
    # With htmx: the card's reaction block, with its one form, comes back.
    html = html_of(client.post(url("react", cast, kudos.pk), {"emoji": "clap"}, **HTMX))
    assert html.strip().startswith(f'<div class="kudos-reactions" id="reactions-{kudos.pk}"')
    assert html.count("<form") == html.count("csrfmiddlewaretoken") == 1
    assert html.count('aria-pressed="true"') == 2


# --- The unit filter ----------------------------------------------------------------


def test_unit_suggestions_are_this_organisations_and_at_most_twenty(cast, login):
    for i in range(UNIT_OPTIONS + 5):
        UnitFactory(org=cast.org, parent=cast.platform, name=f"Engineering squad {i:02}")
    client = login(cast.member)
    html = html_of(client.get(url("unit_options", cast), {"unit_name": "engin"}))
    assert html.count("<option") == UNIT_OPTIONS
    assert "Engineering squad 00 (in Platform)" in html
    # Acme's Engineering, labelled with the unit it sits in; Globex's is not suggested.
    assert cast.other_unit.name == "Engineering"
    assert html.count('<option value="Engineering (in ') == 1
    assert f'<option value="Engineering (in {escape(cast.company.name)})">' in html
    assert html_of(client.get(url("unit_options", cast), {"unit_name": " "})) == ""
    assert html_of(client.get(url("unit_options", cast), {"unit_name": "\x00"})) == ""


def test_the_unit_filter_takes_a_suggestion_a_name_or_an_id(cast, login):
    give(cast.admin, [cast.member], message="To Bob in Platform")
    give(cast.member, [cast.manager], message="To Mallory in Engineering")
    client = login(cast.member2)
    label = f"Platform (in {cast.engineering.name})"
    for params in ({"unit_name": label}, {"unit_name": "platform"}, {"unit": cast.platform.pk}):
        response = client.get(url("feed", cast), params)
        html = html_of(response)
        assert "To Bob in Platform" in html and "To Mallory in Engineering" not in html
        # The box says which unit, and Load more / links keep it as an id.
        assert f'value="{escape(label)}"' in html
        assert response.context["query"] == f"unit={cast.platform.pk}"
    html = html_of(client.get(url("feed", cast), {"unit_name": "Engineering"}))
    assert "To Bob in Platform" in html and "To Mallory in Engineering" in html


def test_a_unit_typed_that_matches_nothing_or_several_says_so(cast, login):
    give(cast.admin, [cast.member], message="To Bob in Platform")
    UnitFactory(org=cast.org, parent=cast.company, name="Platform")
    client = login(cast.member2)
    html = html_of(client.get(url("feed", cast), {"unit_name": "Narnia"}))
    assert escape("No unit matches “Narnia”") in html and "To Bob in Platform" in html
    html = html_of(client.get(url("feed", cast), {"unit_name": "Platform"}))
    assert escape("Several units match “Platform”") in html
    # The suggestion tells them apart.
    label = f"Platform (in {cast.engineering.name})"
    html = html_of(client.get(url("feed", cast), {"unit_name": label}))
    assert "Several units" not in html and "To Bob in Platform" in html

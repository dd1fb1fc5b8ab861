"""The SMART check: five pieces of advice, each with its reason."""

from __future__ import annotations

from datetime import date

import pytest

from goals import smart
from goals.models import Level

CYCLE = {"cycle_name": "2027 Q1", "cycle_start": date(2027, 1, 1), "cycle_end": date(2027, 3, 31)}


def check(**overrides) -> dict[str, smart.SmartCheck]:
    values = {
        "title": "Cut first-reply time on support tickets to 4 hours",
        "level": Level.INDIVIDUAL,
        "parent_title": "Happier customers",
        "key_results": 1,
        "confidence": "medium",
        "due_date": date(2027, 3, 1),
        **CYCLE,
    } | overrides
    return {c.name: c for c in smart.smart_check(**values)}


def test_it_returns_the_five_checks_in_order_as_letter_name_ok_reason():
    checks = smart.smart_check(title="Ship the billing export", level=Level.ORGANISATION, **CYCLE)
    assert [(c.letter, c.name) for c in checks] == [
        ("S", "Specific"),
        ("M", "Measurable"),
        ("A", "Achievable"),
        ("R", "Relevant"),
        ("T", "Time-bound"),
    ]
    letter, name, ok, reason = checks[0]
    assert (letter, ok, reason) == ("S", True, smart.SPECIFIC_OK)


def test_a_well_written_goal_passes_every_check():
    assert all(c.ok for c in check().values())


@pytest.mark.parametrize("title", ["Improve", "Onboarding faster", "", "   "])
def test_it_asks_for_at_least_three_words(title):
    result = check(title=title)["Specific"]
    assert (result.ok, result.reason) == (False, smart.SPECIFIC_SHORT)


@pytest.mark.parametrize(
    "title",
    ["Improve things a lot", "Work on it better", "Do more and better work", "Get more done"],
)
def test_it_calls_titles_of_only_vague_words_unspecific(title):
    result = check(title=title)["Specific"]
    assert (result.ok, result.reason) == (False, smart.SPECIFIC_VAGUE)


@pytest.mark.parametrize(
    "title",
    ["Improve customer retention", "Work on the billing export", "Better onboarding emails"],
)
def test_vague_words_are_fine_next_to_what_changes(title):
    assert check(title=title)["Specific"].ok


def test_measurable_needs_a_key_result_or_contributing_goals():
    assert check(key_results=2)["Measurable"] == (
        "M",
        "Measurable",
        True,
        "2 key results with a target.",
    )
    assert check(key_results=0, children=1)["Measurable"].reason == (
        "Measured by 1 contributing goal."
    )
    missing = check(key_results=0, children=0)["Measurable"]
    assert (missing.ok, missing.reason) == (False, smart.MEASURABLE_MISSING)


def test_achievable_needs_a_confidence_and_says_a_new_goal_gets_one_at_the_first_check_in():
    assert check(confidence="high")["Achievable"].reason == "Latest confidence: high."
    new = check(confidence="", new=True)["Achievable"]
    assert (new.ok, new.reason) == (False, smart.ACHIEVABLE_NEW)
    existing = check(confidence="")["Achievable"]
    assert (existing.ok, existing.reason) == (False, smart.ACHIEVABLE_MISSING)


def test_relevant_needs_a_parent_except_for_organisation_objectives():
    assert check(parent_title="Happier customers")["Relevant"].reason == (
        "Contributes to “Happier customers”."
    )
    orphan = check(parent_title=None)["Relevant"]
    assert (orphan.ok, orphan.reason) == (False, smart.RELEVANT_MISSING)
    top = check(level=Level.ORGANISATION, parent_title=None)["Relevant"]
    assert (top.ok, top.reason) == (True, smart.RELEVANT_TOP)


@pytest.mark.parametrize(
    ("due", "ok"),
    [
        (date(2027, 1, 1), True),
        (date(2027, 3, 31), True),
        (date(2026, 12, 31), False),
        (date(2027, 4, 1), False),
    ],
)
def test_time_bound_needs_a_due_date_inside_the_cycle(due, ok):
    result = check(due_date=due)["Time-bound"]
    assert result.ok is ok
    assert ("outside 2027 Q1" in result.reason) is not ok


def test_time_bound_without_a_due_date_or_a_cycle_says_what_is_missing():
    assert check(due_date=None)["Time-bound"].reason == smart.TIME_MISSING
    no_cycle = check(cycle_start=None, cycle_end=None)["Time-bound"]
    assert (no_cycle.ok, no_cycle.reason) == (False, smart.TIME_NO_CYCLE)


def test_a_goal_with_only_a_title_is_told_what_is_missing():
    """The form's first keystrokes: no key results, goals, confidence or cycle given."""
    checks = {c.name: c for c in smart.smart_check(title="Ship it", level=Level.INDIVIDUAL)}
    assert {name: (c.ok, c.reason) for name, c in checks.items()} == {
        "Specific": (False, smart.SPECIFIC_SHORT),
        "Measurable": (False, smart.MEASURABLE_MISSING),
        "Achievable": (False, smart.ACHIEVABLE_MISSING),
        "Relevant": (False, smart.RELEVANT_MISSING),
        "Time-bound": (False, smart.TIME_NO_CYCLE),
    }


@pytest.mark.parametrize(
    "known",
    [{"cycle_start": date(2027, 1, 1)}, {"cycle_end": date(2027, 3, 31)}],
)
def test_time_bound_with_half_a_cycle_asks_for_the_cycle(known):
    dates = {"cycle_start": None, "cycle_end": None} | known
    result = check(due_date=date(2027, 2, 1), **dates)["Time-bound"]
    assert (result.ok, result.reason) == (False, smart.TIME_NO_CYCLE)

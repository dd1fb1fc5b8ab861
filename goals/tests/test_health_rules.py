"""The health badge's rules at their edges: cadences, thresholds, confidence, statuses.

Thresholds are tried on a 100-day cycle with no progress, so that the share of the
cycle elapsed (the expected progress) is exactly the gap: day 10 is 0.10, day 25 is
0.25. Staleness is tried at the exact edge of each cadence window, and through the
organisation's own cadence on a real goal.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

import goals.health as health_module
from core.tenancy import tenant_context
from goals.health import health, health_for
from goals.models import Confidence, Goal, GoalEvent, GoalStatus
from goals.selectors import health_q
from kpis.forecast import Forecast
from orgs.models import Organization
from tests.factories import GoalFactory

START = date(2026, 1, 1)
END = START + timedelta(days=100)
NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
CADENCES = [("weekly", 7), ("fortnightly", 14), ("monthly", 31)]


def badge(*, day=50, progress=0.0, confidence="", status=GoalStatus.APPROVED, **times):
    goal = Goal(status=status, progress=progress, confidence=confidence, **times)
    return health(
        goal,
        cycle_start=START,
        cycle_end=END,
        cadence="weekly",
        today=START + timedelta(days=day),
        now=NOW,
    )


# --- Thresholds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (9, "on_track"),  # 9 points behind
        (10, "on_track"),  # exactly 10 points behind: still on track
        (11, "at_risk"),  # just over 10
        (24, "at_risk"),
        (25, "at_risk"),  # exactly 25 points behind: still at risk
        (26, "off_track"),  # just over 25
    ],
)
def test_thresholds_at_their_edges(day, code):
    result = badge(day=day, last_checkin_at=NOW)
    assert result.expected == pytest.approx(day / 100)
    assert result.code == code


@pytest.mark.parametrize(("day", "percent"), [(0, 0), (37, 37), (100, 100)])
def test_the_badge_shows_the_expected_progress_in_whole_percent(day, percent):
    """ "Expected 37%" beside the badge: the share of the cycle elapsed."""
    assert badge(day=day, last_checkin_at=NOW).expected_percent == percent


def test_ahead_of_pace_is_on_track():
    assert badge(day=50, progress=0.9, last_checkin_at=NOW).code == "on_track"


# --- Confidence ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("confidence", "code"),
    [
        (Confidence.LOW, "at_risk"),
        (Confidence.MEDIUM, "on_track"),
        (Confidence.HIGH, "on_track"),
        ("", "on_track"),
    ],
)
def test_low_confidence_turns_an_on_pace_goal_at_risk(confidence, code):
    result = badge(day=50, progress=0.5, confidence=confidence, last_checkin_at=NOW)
    assert (result.code, result.label) == (code, {"at_risk": "At risk"}.get(code, "On track"))


def test_low_confidence_does_not_soften_an_off_track_goal():
    assert badge(day=26, confidence=Confidence.LOW, last_checkin_at=NOW).code == "off_track"
    assert badge(day=25, confidence=Confidence.LOW, last_checkin_at=NOW).code == "at_risk"


# --- Statuses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "label"),
    [
        (GoalStatus.CANCELLED, "cancelled", "Cancelled"),
        (GoalStatus.SUBMITTED, "not_started", "Not active yet"),
        (GoalStatus.DRAFT, "not_started", "Not active yet"),
        (GoalStatus.COMPLETED, "done", "Completed"),
    ],
)
def test_inactive_goals_have_their_own_badge_and_are_never_stale(status, code, label):
    long_ago = NOW - timedelta(days=90)
    # Far behind pace, low confidence and untouched for months: none of it shows.
    result = badge(
        day=90,
        status=status,
        confidence=Confidence.LOW,
        last_checkin_at=None,
        updated_at=long_ago,
    )
    assert (result.code, result.label, result.stale) == (code, label, False)


# --- Staleness ----------------------------------------------------------------------------------


def stale_after(cadence: str, *, since: timedelta, never_checked_in: bool = False) -> bool:
    times = {"last_checkin_at": None if never_checked_in else NOW - since}
    times["updated_at"] = NOW - since if never_checked_in else NOW
    goal = Goal(status=GoalStatus.APPROVED, progress=0.5, **times)
    return health(
        goal,
        cycle_start=START,
        cycle_end=END,
        cadence=cadence,
        today=START + timedelta(50),
        now=NOW,
    ).stale


@pytest.mark.parametrize(("cadence", "days"), CADENCES)
@pytest.mark.parametrize("never_checked_in", [False, True])
def test_stale_exactly_when_the_cadence_window_has_passed(cadence, days, never_checked_in):
    window = timedelta(days=days)
    second = timedelta(seconds=1)
    assert stale_after(cadence, since=window - second, never_checked_in=never_checked_in) is False
    assert stale_after(cadence, since=window, never_checked_in=never_checked_in) is False
    assert stale_after(cadence, since=window + second, never_checked_in=never_checked_in) is True


@pytest.fixture
def approved_goal(cast, cycle):
    return GoalFactory(  # approved by Bob's manager
        cycle=cycle, owner=cast.member, title="Ship the API", key_results=0, status="active"
    )


def set_cadence(org: Organization, cadence: str) -> Organization:
    with tenant_context(org.pk):
        Organization.objects.filter(pk=org.pk).update(checkin_cadence=cadence)
        return Organization.objects.get(pk=org.pk)


@pytest.mark.parametrize(("cadence", "days"), CADENCES)
def test_each_organisations_cadence_decides_when_a_goal_goes_stale(
    cast, approved_goal, cadence, days
):
    org = set_cadence(cast.org, cadence)
    hour = timedelta(hours=1)
    with tenant_context(org.pk):
        for since, stale in (
            (timedelta(days=days) - hour, False),
            (timedelta(days=days) + hour, True),
        ):
            Goal.objects.filter(pk=approved_goal.pk).update(last_checkin_at=timezone.now() - since)
            goal = Goal.objects.select_related("cycle").get(pk=approved_goal.pk)
            assert health_for(goal, org).stale is stale, f"{cadence}, {since} since check-in"


def test_an_approved_goal_never_checked_in_turns_stale(cast, approved_goal):
    org = set_cadence(cast.org, "weekly")
    with tenant_context(org.pk):
        goal = Goal.objects.select_related("cycle").get(pk=approved_goal.pk)
        assert goal.last_checkin_at is None
        assert health_for(goal, org).stale is False  # just approved
        Goal.objects.filter(pk=goal.pk).update(updated_at=timezone.now() - timedelta(days=8))
        goal = Goal.objects.select_related("cycle").get(pk=goal.pk)
        assert health_for(goal, org).stale is True


def test_without_check_ins_staleness_counts_from_the_goals_last_change(cast, approved_goal):
    """The decision (see goals.health's docstring): updated_at, not the approval event.

    Goal has no approval timestamp, and the tree's "stale" filter (goals.selectors)
    counts from updated_at in SQL; the badge agrees with it. So a goal approved long
    ago but edited since is fresh until a cadence passes after that edit.
    """
    assert "updated_at" in health_module.__doc__
    assert "counted from approval" not in health_module.__doc__
    org = set_cadence(cast.org, "weekly")
    with tenant_context(org.pk):
        long_ago = timezone.now() - timedelta(days=30)
        GoalEvent.objects.filter(goal=approved_goal, kind="approved").update(created_at=long_ago)
        Goal.objects.filter(pk=approved_goal.pk).update(
            updated_at=timezone.now() - timedelta(days=2)
        )
        goal = Goal.objects.select_related("cycle").get(pk=approved_goal.pk)
        assert health_for(goal, org).stale is False
        # The tree's filter says the same.
        stale = Goal.objects.filter(health_q("stale", cycle=goal.cycle, cadence="weekly"))
        assert not stale.filter(pk=goal.pk).exists()
        # ...and both turn once a cadence has passed since that last change.
        Goal.objects.filter(pk=goal.pk).update(updated_at=timezone.now() - timedelta(days=8))
        goal = Goal.objects.select_related("cycle").get(pk=goal.pk)
        assert health_for(goal, org).stale is True
        assert stale.filter(pk=goal.pk).exists()


@pytest.mark.parametrize("cadence", ["", "daily", "quarterly"])
def test_an_unknown_cadence_counts_as_weekly(cadence):
    week, second = timedelta(days=7), timedelta(seconds=1)
    assert stale_after(cadence, since=week) is False
    assert stale_after(cadence, since=week + second) is True


# --- A key result's trend -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "confidence", "code", "reason"),
    [
        (50, "", "at_risk", health_module.FORECAST_MISSES),  # on pace: the trend decides
        (60, "", "at_risk", health_module.FORECAST_MISSES),  # exactly 10 behind: still on pace
        (61, "", "at_risk", ""),  # behind already: at risk by its progress, no trend reason
        (76, "", "off_track", ""),  # off track stays off track
        (50, Confidence.LOW, "at_risk", ""),  # low confidence says it first
    ],
)
def test_a_stored_trend_that_misses_turns_only_an_on_pace_goal_at_risk(
    day, confidence, code, reason
):
    result = badge(
        day=day, progress=0.5, confidence=confidence, last_checkin_at=NOW, forecast_misses=True
    )
    assert (result.code, result.reason) == (code, reason)
    assert result.label == {"at_risk": "At risk", "off_track": "Off track"}[code]


def test_without_a_missing_trend_an_on_pace_goal_stays_on_track():
    result = badge(day=50, progress=0.5, last_checkin_at=NOW, forecast_misses=False)
    assert (result.code, result.reason) == ("on_track", "")


@pytest.mark.parametrize("status", [GoalStatus.COMPLETED, GoalStatus.CANCELLED, GoalStatus.DRAFT])
def test_a_missing_trend_leaves_inactive_goals_alone(status):
    result = badge(status=status, progress=0.5, last_checkin_at=NOW, forecast_misses=True)
    assert result.code != "at_risk" and result.reason == ""


def test_the_tree_filters_agree_with_the_badge_on_a_missing_trend(cast, approved_goal):
    with tenant_context(cast.org.pk):
        goal = Goal.objects.select_related("cycle").get(pk=approved_goal.pk)
        today = goal.cycle.start + (goal.cycle.end - goal.cycle.start) / 2
        expected = goal.cycle.elapsed(today)
        for misses, code in ((False, "on_track"), (True, "at_risk")):
            Goal.objects.filter(pk=goal.pk).update(progress=expected, forecast_misses=misses)
            goal = Goal.objects.select_related("cycle").get(pk=goal.pk)
            state = health(
                goal,
                cycle_start=goal.cycle.start,
                cycle_end=goal.cycle.end,
                cadence="weekly",
                today=today,
            )
            assert state.code == code
            found = {
                name
                for name in ("on_track", "at_risk", "off_track", "at_risk_or_off_track")
                if Goal.objects.filter(
                    health_q(name, cycle=goal.cycle, cadence="weekly", today=today), pk=goal.pk
                ).exists()
            }
            assert found == ({code, "at_risk_or_off_track"} if misses else {code})


def projection(reaches: bool) -> Forecast:
    return Forecast(value=1.0, by=END, slope_per_day=0.1, points=3, reaches=reaches)


@pytest.mark.parametrize(
    ("forecasts", "code"),
    [
        ([projection(True), projection(False)], "at_risk"),  # one that misses is enough
        ([projection(True), None], "on_track"),  # None: fewer than three check-ins
        ([None], "on_track"),
        ([], "on_track"),  # given and empty: the stored flag is not read
    ],
)
def test_projections_given_decide_instead_of_the_stored_flag(forecasts, code):
    goal = Goal(status=GoalStatus.APPROVED, progress=0.5, last_checkin_at=NOW, forecast_misses=True)
    result = health(
        goal,
        cycle_start=START,
        cycle_end=END,
        cadence="weekly",
        today=START + timedelta(days=50),
        now=NOW,
        forecasts=forecasts,
    )
    assert result.code == code

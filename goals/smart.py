"""The SMART check shown while a goal is written: advice with a reason, never a blocker."""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from core.formatting import day
from goals.models import Confidence, Level

# Words that say a direction or an intention but not what changes.
VAGUE_WORDS = frozenset(
    """
    improve improving improved improvement better best good great more less work working on
    do doing make making get getting things thing stuff focus try trying enhance optimise
    optimize grow growth increase decrease boost drive deliver support continue keep general
    overall various some etc really very much lot lots all new up done
    the a an our my we us it its to and or of in for with at by from be is are this that
    """.split()
)
MIN_TITLE_WORDS = 3

SPECIFIC_OK = "The title says what changes."
SPECIFIC_SHORT = (
    "Use at least three words that say what changes, "
    "e.g. “Cut first-reply time on support tickets to 4 hours”."
)
SPECIFIC_VAGUE = (
    "Words like “improve”, “work on” or “better” give a direction, not a result: "
    "name what changes and for whom."
)
MEASURABLE_KRS = "{count} key result{s} with a target."
MEASURABLE_CHILDREN = "Measured by {count} contributing goal{s}."
MEASURABLE_MISSING = (
    "Add at least one key result with a target, or goals that contribute to it, "
    "so progress is a number rather than an opinion."
)
ACHIEVABLE_OK = "Latest confidence: {confidence}."
ACHIEVABLE_NEW = "The owner gives a confidence (low, medium or high) at the first check-in."
ACHIEVABLE_MISSING = "No confidence yet: the owner gives one at the next check-in."
RELEVANT_TOP = "Organisation objectives are the top of the cascade."
RELEVANT_OK = "Contributes to “{parent}”."
RELEVANT_MISSING = "Choose the goal this contributes to, so everyone sees why it matters."
TIME_OK = "Due {due}, inside {cycle} ({start} – {end})."
TIME_MISSING = "Set a due date inside the cycle."
TIME_OUTSIDE = "The due date {due} is outside {cycle} ({start} – {end})."
TIME_NO_CYCLE = "Choose a cycle, then a due date inside it."


class SmartCheck(NamedTuple):
    letter: str
    name: str
    ok: bool
    reason: str


def _words(title: str) -> list[str]:
    return re.findall(r"[\w’'-]+", title.lower())


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


def check_specific(title: str) -> SmartCheck:
    words = _words(title)
    if len(words) < MIN_TITLE_WORDS:
        return SmartCheck("S", "Specific", False, SPECIFIC_SHORT)
    if all(word in VAGUE_WORDS or word.isdigit() for word in words):
        return SmartCheck("S", "Specific", False, SPECIFIC_VAGUE)
    return SmartCheck("S", "Specific", True, SPECIFIC_OK)


def check_measurable(key_results: int, children: int) -> SmartCheck:
    if key_results:
        reason = MEASURABLE_KRS.format(count=key_results, s=_plural(key_results))
        return SmartCheck("M", "Measurable", True, reason)
    if children:
        reason = MEASURABLE_CHILDREN.format(count=children, s=_plural(children))
        return SmartCheck("M", "Measurable", True, reason)
    return SmartCheck("M", "Measurable", False, MEASURABLE_MISSING)


def check_achievable(confidence: str, *, new: bool) -> SmartCheck:
    if confidence in Confidence.values:
        label = Confidence(confidence).label.lower()
        return SmartCheck("A", "Achievable", True, ACHIEVABLE_OK.format(confidence=label))
    return SmartCheck("A", "Achievable", False, ACHIEVABLE_NEW if new else ACHIEVABLE_MISSING)


def check_relevant(level: str, parent_title: str | None) -> SmartCheck:
    if level == Level.ORGANISATION:
        return SmartCheck("R", "Relevant", True, RELEVANT_TOP)
    if parent_title:
        return SmartCheck("R", "Relevant", True, RELEVANT_OK.format(parent=parent_title))
    return SmartCheck("R", "Relevant", False, RELEVANT_MISSING)


def check_time_bound(
    due_date: date | None, *, cycle_name: str = "", start: date | None, end: date | None
) -> SmartCheck:
    if start is None or end is None:
        return SmartCheck("T", "Time-bound", False, TIME_NO_CYCLE)
    if due_date is None:
        return SmartCheck("T", "Time-bound", False, TIME_MISSING)
    facts = {
        "due": day(due_date),
        "cycle": cycle_name or "the cycle",
        "start": day(start),
        "end": day(end),
    }
    if start <= due_date <= end:
        return SmartCheck("T", "Time-bound", True, TIME_OK.format(**facts))
    return SmartCheck("T", "Time-bound", False, TIME_OUTSIDE.format(**facts))


def smart_check(
    *,
    title: str,
    level: str,
    parent_title: str | None = None,
    key_results: int = 0,
    children: int = 0,
    confidence: str = "",
    due_date: date | None = None,
    cycle_name: str = "",
    cycle_start: date | None = None,
    cycle_end: date | None = None,
    new: bool = False,
) -> list[SmartCheck]:
    """The five checks, in order: (letter, name, ok, reason)."""
    return [
        check_specific(title),
        check_measurable(key_results, children),
        check_achievable(confidence, new=new),
        check_relevant(level, parent_title),
        check_time_bound(due_date, cycle_name=cycle_name, start=cycle_start, end=cycle_end),
    ]

"""Review and cycle reminders: the daily digests the periodic engine sends.

Apps contribute the sections of a digest without this module importing them:
``register_section(title, provider, team=...)`` in their AppConfig.ready. A
provider takes (organisation, local date) and returns ``{membership id: [item]}``,
an item being ``{"label", "detail", "path"}`` (a path inside the site; the email
makes it absolute). Providers are set-based: a fixed number of queries for the
whole organisation, never one per person.

Each person gets at most two digests a day, one per kind, so they can turn either
off on their settings page: REVIEW_REMINDER (their own check-ins and measurements
due) and, for managers, TEAM_REVIEW (approvals waiting and their team's goals and
KPIs needing attention). Nothing due, nothing sent. The dedupe key
(``review:<date>``, ``team-review:<date>``) keeps it to one per person and day
whatever runs the job (beat, a retry, ``run_periodic``, two workers).

Cycle reminders: ``cycle_reminder_days`` before an active cycle ends, owners of its
active goals get one CYCLE_ENDING; once an active cycle has started, people with
no goal in it get one CYCLE_STARTED and their managers one TEAM_WITHOUT_GOALS
(keys per cycle: once per person and cycle). A planning cycle whose start date has
passed does not count as started: admins start a cycle by making it active.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from notifications.models import Kind
from notifications.services import notify_many
from orgs.models import Membership, Organization

# A digest section lists this many items at most; the rest are "and N more".
SECTION_LIMIT = 20
REVIEW_TITLE = "Your check-ins and measurements due"
TEAM_TITLE = "Your team's review"

Item = dict  # {"label": str, "detail": str, "path": str}
Provider = Callable[[Organization, date], dict[int, list[Item]]]


@dataclass(frozen=True)
class Section:
    title: str
    provider: Provider
    team: bool  # in the manager's TEAM_REVIEW digest, else the person's own
    more_path: Callable[[Organization], str] | None = None  # where "and N more" leads


SECTIONS: dict[str, Section] = {}


def register_section(
    title: str,
    provider: Provider,
    *,
    team: bool = False,
    more_path: Callable[[Organization], str] | None = None,
) -> None:
    SECTIONS[title] = Section(title, provider, team, more_path)


def section_data(title: str, items: list[Item], *, more_path: str = "") -> dict:
    """A section as stored on the notification: at most SECTION_LIMIT items."""
    data = {
        "title": title,
        "items": items[:SECTION_LIMIT],
        "more": max(len(items) - SECTION_LIMIT, 0),
    }
    if more_path:
        data["more_path"] = more_path
    return data


def managers_above(org: Organization, member_ids: Iterable[int]) -> dict[int, list[int]]:
    """Everyone above each of ``member_ids`` in the reporting lines, nearest first: one
    query (the organisation's manager links; a loop written around the services stops)."""
    wanted = set(member_ids)
    if not wanted:
        return {}
    manager_of = dict(Membership.objects.filter(org=org).values_list("pk", "manager_id"))
    above: dict[int, list[int]] = {}
    for pk in wanted:
        chain: list[int] = []
        boss = manager_of.get(pk)
        while boss is not None and boss not in chain and boss != pk:
            chain.append(boss)
            boss = manager_of.get(boss)
        above[pk] = chain
    return above


def _people(org: Organization, ids: Iterable[int]) -> dict[int, Membership]:
    """The active memberships among ``ids``: one query."""
    ids = set(ids)
    if not ids:
        return {}
    found = Membership.objects.filter(org=org, pk__in=ids, is_active=True).select_related("user")
    return {m.pk: m for m in found}


def _send(
    org: Organization, kind: Kind, key: str, title: str, sections_by_person: dict[int, list[dict]]
) -> tuple[int, int]:
    people = _people(org, sections_by_person)
    data_for = {
        people[pk]: {"title": title, "sections": sections}
        for pk, sections in sorted(sections_by_person.items())
        if pk in people and sections
    }
    return notify_many(org_id=org.pk, kind=kind, dedupe_key=key, data_for=data_for)


def review_reminders(org: Organization, local: datetime) -> dict:
    """The daily review digests of ``org`` (the ``reminders`` job's body)."""
    today = local.date()
    own: dict[int, list[dict]] = defaultdict(list)
    team: dict[int, list[dict]] = defaultdict(list)
    for section in SECTIONS.values():
        found = section.provider(org, today)
        more = section.more_path(org) if section.more_path else ""
        for person, items in found.items():
            if items:
                (team if section.team else own)[person].append(
                    section_data(section.title, items, more_path=more)
                )
    sent_own, had_own = _send(org, Kind.REVIEW_REMINDER, f"review:{today}", REVIEW_TITLE, own)
    sent_team, had_team = _send(org, Kind.TEAM_REVIEW, f"team-review:{today}", TEAM_TITLE, team)
    return {"digests_sent": sent_own + sent_team, "already_sent": had_own + had_team}


def review_summary(counts: dict) -> str:
    sent, had = counts.get("digests_sent", 0), counts.get("already_sent", 0)
    return f"{sent} digest{'s' if sent != 1 else ''} sent, {had} already sent"


# --- Cycle reminders -------------------------------------------------------------------


def _goal_item(org: Organization, goal) -> Item:
    return {
        "label": goal.title,
        "detail": f"{round(goal.progress * 100)}% · due {goal.due_date:%d %b %Y}",
        "path": reverse("goals:goal_detail", args=[org.slug, goal.pk]),
    }


def _person_item(org: Organization, member: Membership) -> Item:
    return {
        "label": member.display_name,
        "detail": member.title,
        "path": reverse("goals:goal_tree", args=[org.slug]) + f"?owner={member.pk}",
    }


def cycle_reminders(org: Organization, local: datetime) -> dict:
    """Final check-ins before a cycle ends; a goal to set when one starts (the
    ``cycle_reminders`` job's body). Queries: the cycles, then per running cycle a
    fixed few (its goals or its people without one, the settings, the writes)."""
    from goals.models import Cycle, Goal, GoalStatus

    today = local.date()
    counts = {"reminders_sent": 0, "already_sent": 0}

    def add(result: tuple[int, int]) -> None:
        counts["reminders_sent"] += result[0]
        counts["already_sent"] += result[1]

    running = Cycle.objects.filter(
        org=org, status=Cycle.Status.ACTIVE, start__lte=today, end__gte=today
    )
    for cycle in running.order_by("start", "pk"):
        name = f"“{cycle.name}”"
        if cycle.end - timedelta(days=org.cycle_reminder_days) <= today:
            goals = (
                Goal.objects.filter(org=org, cycle=cycle, status=GoalStatus.APPROVED)
                .select_related("owner__user")
                .order_by("title", "pk")
            )
            by_owner: dict[Membership, list[Item]] = defaultdict(list)
            for goal in goals:
                if goal.owner.is_active:
                    by_owner[goal.owner].append(_goal_item(org, goal))
            title = f"{name} ends on {cycle.end:%d %b %Y}: make your final check-ins"
            add(
                notify_many(
                    org_id=org.pk,
                    kind=Kind.CYCLE_ENDING,
                    dedupe_key=f"cycle-ending:{cycle.pk}",
                    data_for={
                        owner: {
                            "title": title,
                            "sections": [section_data("Your active goals", items)],
                        }
                        for owner, items in by_owner.items()
                    },
                )
            )
        without = list(people_without_goal(org=org, cycle=cycle).select_related("user", "manager"))
        if not without:
            continue
        add(
            notify_many(
                org_id=org.pk,
                kind=Kind.CYCLE_STARTED,
                dedupe_key=f"cycle-started:{cycle.pk}",
                data_for={
                    member: {
                        "title": f"{name} has started and you have no goal in it yet",
                        "sections": [
                            section_data(
                                "Set a goal",
                                [
                                    {
                                        "label": "Create your goal",
                                        "detail": f"{cycle.start:%d %b} – {cycle.end:%d %b %Y}",
                                        "path": reverse("goals:my_goals", args=[org.slug]),
                                    }
                                ],
                            )
                        ],
                    }
                    for member in without
                },
            )
        )
        reports: dict[Membership, list[Item]] = defaultdict(list)
        for member in without:
            if member.manager_id is not None and member.manager.is_active:
                reports[member.manager].append(_person_item(org, member))
        team_page = reverse("goals:team_goals", args=[org.slug])
        add(
            notify_many(
                org_id=org.pk,
                kind=Kind.TEAM_WITHOUT_GOALS,
                dedupe_key=f"cycle-team:{cycle.pk}",
                data_for={
                    manager: {
                        "title": f"People in your team without a goal in {name}",
                        "sections": [section_data("No goal yet", items, more_path=team_page)],
                    }
                    for manager, items in reports.items()
                },
            )
        )
    return counts


def cycle_summary(counts: dict) -> str:
    sent, had = counts.get("reminders_sent", 0), counts.get("already_sent", 0)
    return f"{sent} reminder{'s' if sent != 1 else ''} sent, {had} already sent"


def people_without_goal(*, org: Organization, cycle, under: Membership | None = None):
    """Active members with no goal (other than cancelled ones) in ``cycle``, by name;
    with ``under``, only those reporting directly to them. One query."""
    from goals.models import Goal, GoalStatus

    has_goal = Goal.objects.filter(org=org, cycle=cycle, owner=OuterRef("pk")).exclude(
        status=GoalStatus.CANCELLED
    )
    people = Membership.objects.filter(org=org, is_active=True).filter(~Exists(has_goal))
    if under is not None:
        people = people.filter(Q(manager=under))
    return people.order_by("user__full_name", "user__email", "pk")

"""The team page: the active goals of a manager's reports, one level at a time.

It opens on the viewer's direct reports, a page of people at a time, each with their
active goals of the cycle (at most GOALS_PER_PERSON; the tree lists the rest). A person
with reports of their own has a link to their team's level (``?under=<membership>``),
which htmx loads in place; the link's ``href`` is the same URL, a page of its own
without JavaScript. Filters: at risk or off track, stale, no check-in this week.
Above them, the direct reports with no goal at all in the cycle (at most NO_GOAL_SHOWN
names; one query, on the whole page only).

The query count does not depend on the size of the team or of the organisation: the
cycles, the person whose team it is (with ``under``; for a manager, only if they are
above them, walking up the reporting lines), the people of the page and their count,
who has no goal, their goals, the goals' key results, milestones and recent check-ins,
the organisation switcher. It never reads the viewer's whole reporting subtree.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.htmx import page_or_partial
from core.params import id_param
from feedback import selectors as feedback_selectors
from feedback.recognition import kudos_counts
from goals import selectors
from goals.access import request_actor
from goals.health import health_for
from goals.presenters import GoalCard, key_result_rows
from goals.selectors import (
    GOALS_PER_PERSON,
    TEAM_FILTERS,
    TEAM_PAGE_SIZE,
    managed_member,
    team_goal_q,
    team_goals,
    team_people,
)
from orgs.models import Membership


def _whose_team(request: HttpRequest) -> Membership:
    """The person whose direct reports are listed: ``?under=`` if the viewer may see their
    team (an admin anyone's, a manager anyone below them), else the viewer; else 404."""
    actor = request_actor(request)
    if not request.GET.get("under"):
        return actor.member
    wanted = id_param(request, "under")
    if wanted == actor.member.pk:
        return actor.member
    if wanted is None:
        raise Http404("No such team")
    if actor.is_admin:
        found = Membership.objects.filter(org=request.org, pk=wanted).select_related("user")
        found = found.first()
    else:
        found = managed_member(manager=actor.member, pk=wanted)
    if found is None:
        raise Http404("No such team")
    return found


# At most this many names in "no goal yet" (a query for one more says whether there are more).
NO_GOAL_SHOWN = 20


def _without_goal(org, cycle, under: Membership):
    """The direct reports of ``under`` with no goal in ``cycle``, read (one query) only if
    the page shows them: the whole body, not a level loaded in place."""

    def read() -> dict:
        from notifications.reminders import people_without_goal

        found = list(
            people_without_goal(org=org, cycle=cycle, under=under).select_related("user")[
                : NO_GOAL_SHOWN + 1
            ]
        )
        return {"people": found[:NO_GOAL_SHOWN], "more": len(found) > NO_GOAL_SHOWN}

    return read


@require_GET
def team_goals_page(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    org = request.org
    cycles, cycle = selectors.cycle_choice(org=request.org, wanted=request.GET.get("cycle", ""))
    under = _whose_team(request)
    show = request.GET.get("show", "")
    show = show if show in TEAM_FILTERS else ""
    kept = {"cycle": cycle.pk if cycle else "", "show": show}
    context = {
        "query": urlencode({k: v for k, v in kept.items() if v}),
        "cycles": cycles,
        "cycle": cycle,
        "under": under,
        "is_me": under.pk == actor.member.pk,
        "show": show,
        "show_label": TEAM_FILTERS.get(show, ""),
        "filters": TEAM_FILTERS,
        "goals_per_person": GOALS_PER_PERSON,
    }
    if cycle is not None:
        goals_q = team_goal_q(show, cycle=cycle, org=org)
        people = team_people(org=org, under=under, goals=goals_q, show=show)
        page = Paginator(people, TEAM_PAGE_SIZE).get_page(request.GET.get("page"))
        goals = team_goals(org=org, people=[p.pk for p in page], goals=goals_q)
        by_id = {g.pk: g for g in goals}
        for goal in goals:
            goal.cycle = cycle
            goal.health = health_for(goal, org)
        # Everyone listed reports to the viewer (or the viewer is an admin), and their
        # goals are active: the viewer may check in on all of them.
        rows = key_result_rows(actor, by_id, may_check_in=True)
        cards: dict[int, list[GoalCard]] = {p.pk: [] for p in page}
        for goal in goals:
            cards[goal.owner_id].append(GoalCard(goal, rows[goal.pk], []))
        # "Last feedback N days ago" or "No feedback in 30 days": one query for the page.
        last_feedback = feedback_selectors.last_received(org.pk, [p.pk for p in page])
        for person in page:
            person.feedback_days = feedback_selectors.days_since(last_feedback.get(person.pk))
            person.feedback_quiet = feedback_selectors.is_quiet(last_feedback.get(person.pk))
            person.cards = cards[person.pk]
            shown = person.cards
            person.more = shown[0].goal.owner_total - len(shown) if shown else 0
        # Kudos each person received in the cycle (feedback.recognition): one query.
        kudos = kudos_counts(org=org, cycle=cycle, people=[p.pk for p in page])
        for person in page:
            person.kudos_count = kudos.get(person.pk, 0)
        context |= {"page": page, "without_goal": _without_goal(org, cycle, under)}
    # A level loaded in place (a person's team, another page) or, from the filter
    # form, the whole body.
    partial = "team-body" if request.htmx.target == "team-body" else "level"
    return render(request, page_or_partial(request, "goals/team.html", partial), context)

"""Goal pages: create and edit (with the SMART check), the goal page with "why N%",
its alignment path and activity timeline, status actions and key results."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.formatting import number, percent
from core.forms import apply_service_errors
from feedback import views as feedback_views
from feedback.views_threads import thread_context  # the goal's conversation
from goals import selectors, services, smart
from goals.access import Actor, get_goal, request_actor
from goals.charts import ProgressChart, progress_chart
from goals.forecasts import CHECKINS_READ, forecast_sentence, forecastable, kr_forecast
from goals.forms import (
    LEVEL_SHORT,
    GoalForm,
    KeyResultForm,
    open_cycles,
)
from goals.health import health_for
from goals.models import (
    Cycle,
    EventKind,
    Goal,
    GoalEvent,
    GoalStatus,
    KeyResult,
    Level,
    ProgressSnapshot,
)
from goals.presenters import (
    PRIVATE_GOAL,
    AwaitingReapproval,
    ChangesRequest,
    Names,
    as_date,
    timeline_entry,
    why,
)
from goals.rollup import proposed_parents, proposed_progress
from goals.selectors import alignment_path, recent_checkins
from goals.smart import SmartCheck
from kpis.selectors import goal_kpis

INLINE_KEY_RESULTS = 3
ACTIVITY_PAGE = 20  # events per page of a goal's activity; "Show older activity" loads the next
ACTIVITY_MAX_OFFSET = 1_000_000  # far past any goal's history; keeps OFFSET a small number
UNKNOWN_ACTION = "Choose submit, complete or cancel."
CREATED = "Goal “{title}” saved as a draft. Submit it for approval when it is ready."
SAVED = "Goal saved."
BACK_FOR_REAPPROVAL = "The new parent or weight goes back to the approver for re-approval."


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


# --- SMART check -------------------------------------------------------------------


def _pk(value: Any) -> int | None:
    if isinstance(value, models.Model):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _smart_for_values(
    actor: Actor, values, *, goal: Goal | None, kr_titles: list[str]
) -> list[SmartCheck]:
    """The SMART check of a goal being written, from raw form values (typed or not)."""
    parent = None
    parent_pk = _pk(values.get("parent"))
    if parent_pk is not None:
        parent = actor.visible_goals().filter(pk=parent_pk).only("title", "due_date").first()
    if goal is not None:
        cycle, level = goal.cycle, goal.level
        key_results = goal.key_results.count()
        children = goal.children.exclude(status=GoalStatus.CANCELLED).count()
        confidence = goal.confidence
    else:
        cycle_pk = _pk(values.get("cycle"))
        cycle = open_cycles(actor.member.org_id).filter(pk=cycle_pk).first() if cycle_pk else None
        level = values.get("level") or ""
        key_results = sum(1 for title in kr_titles if (title or "").strip())
        children, confidence = 0, ""
    due = as_date(values.get("due_date"))
    if due is None and not values.get("due_date"):
        # Left empty, the service uses the parent's due date or the cycle's end.
        due = parent.due_date if parent else (cycle.end if cycle else None)
    return smart.smart_check(
        title=values.get("title") or "",
        level=level,
        parent_title=parent.title if parent else None,
        key_results=key_results,
        children=children,
        confidence=confidence,
        due_date=due,
        cycle_name=cycle.name if cycle else "",
        cycle_start=cycle.start if cycle else None,
        cycle_end=cycle.end if cycle else None,
        new=goal is None,
    )


def _smart_for_form(
    actor: Actor, form: GoalForm, kr_forms: list[KeyResultForm], goal: Goal | None
) -> list[SmartCheck]:
    values = {name: form[name].value() for name in form.fields}
    kr_titles = [kr_form["title"].value() for kr_form in kr_forms]
    return _smart_for_values(actor, values, goal=goal, kr_titles=kr_titles)


@require_POST
def smart_check(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The SMART check for the goal form as typed (hx-post on input)."""
    actor = request_actor(request)
    goal_pk = _pk(request.POST.get("goal"))
    goal = get_goal(actor, goal_pk) if goal_pk is not None else None
    kr_titles = [request.POST.get(f"kr{i}-title", "") for i in range(INLINE_KEY_RESULTS)]
    checks = _smart_for_values(actor, request.POST, goal=goal, kr_titles=kr_titles)
    return render(request, "goals/goal_form.html#smart", {"smart": checks})


# --- Create and edit -----------------------------------------------------------------


def _create_initial(
    actor: Actor, cycles: list[Cycle], parent: Goal | None, level: str | None
) -> dict:
    allowed = GoalForm.levels_for(actor)
    if level not in allowed:
        level = Level.ORGANISATION if actor.is_admin and parent is None else Level.INDIVIDUAL
    cycle = parent.cycle if parent else selectors.default_cycle(cycles)
    return {
        "cycle": cycle.pk if cycle else None,
        "level": level,
        "owner": actor.member.pk,
        "unit": min(actor.directly_led_units) if actor.directly_led_units else None,
        "parent": parent,
        "due_date": parent.due_date if parent else (cycle.end if cycle else None),
    }


def _inline_kr_forms(request: HttpRequest) -> list[KeyResultForm]:
    return [
        KeyResultForm(_posted(request), prefix=f"kr{i}", optional=True)
        for i in range(INLINE_KEY_RESULTS)
    ]


@require_http_methods(["GET", "POST"])
def goal_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    cycles = list(open_cycles(actor.member.org_id))
    if not cycles:
        return render(request, "goals/goal_form.html", {"no_cycle": True})
    parent_pk = _pk(request.GET.get("parent"))
    parent = get_goal(actor, parent_pk) if parent_pk is not None else None
    initial = _create_initial(actor, cycles, parent, request.GET.get("level"))
    form = GoalForm(_posted(request), actor=actor, cycles=cycles, initial=initial)
    kr_forms = _inline_kr_forms(request)
    if request.method == "POST":
        valid = [f.is_valid() for f in (form, *kr_forms)]
        if all(valid):
            key_results = [f.service_kwargs() for f in kr_forms if f.has_changed()]
            try:
                goal = services.goal_create(
                    actor=actor, key_results=key_results, **form.create_kwargs()
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            except PermissionDenied:
                form.add_error(None, services.NOT_ALLOWED)
            else:
                messages.success(request, CREATED.format(title=goal.title))
                return redirect("goals:goal_detail", org_slug=org_slug, goal_pk=goal.pk)
    status = 400 if form.errors or any(f.errors for f in kr_forms) else 200
    context = {
        "has_errors": status == 400,
        "form": form,
        "kr_forms": kr_forms,
        "parent": parent,
        "smart": _smart_for_form(actor, form, kr_forms, None),
    }
    return render(request, "goals/goal_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, org_slug: str, goal_pk: int) -> HttpResponse:
    actor = request_actor(request)
    goal = get_goal(actor, goal_pk)
    if not actor.can_edit(goal):
        raise PermissionDenied(services.NOT_ALLOWED)
    # A change awaiting re-approval is what the owner edits further.
    pending = goal.pending_changes or {}
    parent = goal.parent
    if "parent_id" in pending:
        parent = actor.visible_goals().filter(pk=pending["parent_id"]).first()
    initial = {
        "title": goal.title,
        "description": goal.description,
        "parent": parent,
        "weight": Decimal(pending.get("weight", goal.weight)).normalize(),
        "visibility": goal.visibility,
        "due_date": goal.due_date,
        "manual_progress": (
            goal.manual_progress.normalize() if goal.manual_progress is not None else None
        ),
    }
    form = GoalForm(_posted(request), actor=actor, goal=goal, initial=initial)
    if request.method == "POST" and form.is_valid():
        was_clean = not goal.needs_reapproval
        try:
            saved = services.goal_update(actor=actor, goal=goal, **form.update_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error)
            goal = get_goal(actor, goal_pk)  # the service changed the instance before refusing
        else:
            message = SAVED
            if saved.needs_reapproval and was_clean:
                message += " " + BACK_FOR_REAPPROVAL
            messages.success(request, message)
            return redirect("goals:goal_detail", org_slug=org_slug, goal_pk=goal_pk)
    context = {
        "has_errors": bool(form.errors),
        "form": form,
        "kr_forms": [],
        "goal": goal,
        "smart": _smart_for_form(actor, form, [], goal),
    }
    return render(request, "goals/goal_form.html", context, status=400 if form.errors else 200)


# --- Status actions ------------------------------------------------------------------

TRANSITIONS = {
    "submit": (services.goal_submit, "Submitted for approval."),
    "complete": (services.goal_complete, "Marked as completed."),
    "cancel": (services.goal_cancel, "Goal cancelled."),
}


@require_POST
def goal_transition(request: HttpRequest, org_slug: str, goal_pk: int) -> HttpResponse:
    actor = request_actor(request)
    goal = get_goal(actor, goal_pk)
    action = request.POST.get("action", "")
    if action not in TRANSITIONS:
        return HttpResponseBadRequest(UNKNOWN_ACTION)
    service, done = TRANSITIONS[action]
    kwargs = {"comment": request.POST.get("comment", "")} if action == "cancel" else {}
    try:
        service(actor=actor, goal=goal, **kwargs)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("goals:goal_detail", org_slug=org_slug, goal_pk=goal_pk)


# --- Key results ---------------------------------------------------------------------


def _editable_goal(actor: Actor, goal_pk: int) -> Goal:
    goal = get_goal(actor, goal_pk)
    if not actor.can_edit(goal):
        raise PermissionDenied(services.NOT_ALLOWED)
    return goal


KPI_CHOICES = 300  # the "Follows KPI" menu: the first KPIs by name the actor sees


def _kpi_choices(actor: Actor, also: int | None = None) -> list[tuple[int, str]]:
    """KPIs a key result may follow: visible ones by name (and the one it follows)."""
    from kpis.access import visible_kpis

    rows = list(visible_kpis(actor).order_by("name", "pk").values_list("pk", "name")[:KPI_CHOICES])
    if also is not None and all(pk != also for pk, _ in rows):
        rows += list(visible_kpis(actor).filter(pk=also).values_list("pk", "name"))
    return rows


@require_http_methods(["GET", "POST"])
def kr_create(request: HttpRequest, org_slug: str, goal_pk: int) -> HttpResponse:
    actor = request_actor(request)
    goal = _editable_goal(actor, goal_pk)
    form = KeyResultForm(_posted(request), kpi_choices=_kpi_choices(actor))
    if request.method == "POST" and form.is_valid():
        try:
            kr = services.kr_add(actor=actor, goal=goal, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Key result “{kr.title}” added.")
            return redirect(reverse("goals:goal_detail", args=[org_slug, goal_pk]) + "#key-results")
    context = {"goal": goal, "form": form, "key_result": None}
    return render(request, "goals/kr_form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def kr_edit(request: HttpRequest, org_slug: str, kr_pk: int) -> HttpResponse:
    actor = request_actor(request)
    kr = get_object_or_404(KeyResult, org=request.org, pk=kr_pk)
    kr.goal = _editable_goal(actor, kr.goal_id)
    # The targets as changed since approval, if a change awaits re-approval.
    form = KeyResultForm(
        _posted(request),
        key_result=services.proposed_key_result(kr, kr.goal.pending_changes),
        kpi_choices=_kpi_choices(actor, also=kr.kpi_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.kr_update(actor=actor, key_result=kr, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Key result “{form.cleaned_data['title']}” saved.")
            return redirect(
                reverse("goals:goal_detail", args=[org_slug, kr.goal_id]) + "#key-results"
            )
    context = {"goal": kr.goal, "form": form, "key_result": kr}
    return render(request, "goals/kr_form.html", context, status=400 if form.errors else 200)


# --- The goal page -------------------------------------------------------------------


def _key_result_rows(goal: Goal) -> list[KeyResult]:
    key_results = list(
        KeyResult.objects.filter(org=goal.org_id, goal=goal)
        .select_related("kpi")
        .prefetch_related("milestones")
    )
    for kr in key_results:
        kr.percent = round(kr.progress * 100)
        kr.weight_text = number(kr.weight)
        kr.milestone_list = list(kr.milestones.all())
        if kr.kind == KeyResult.Kind.BOOLEAN:
            kr.current_text = "Done" if kr.current_value >= 1 else "Not done"
            kr.target_text = "Done"
        elif kr.kind == KeyResult.Kind.MILESTONES:
            done = sum(m.done for m in kr.milestone_list)
            kr.current_text = f"{done} of {len(kr.milestone_list)} done"
            kr.target_text = f"{len(kr.milestone_list)} milestones"
        else:
            label = kr.unit_label if kr.unit_label in ("%", "") else f" {kr.unit_label}"
            kr.current_text = f"{number(kr.current_value)}{label}"
            kr.target_text = (
                f"{kr.get_direction_display().lower()} {number(kr.target_value)}{label}"
                f" (from {number(kr.start_value)})"
            )
    return key_results


def _add_forecasts(goal: Goal, key_results: list[KeyResult]) -> None:
    """Each numeric key result's projection to the cycle's end from its latest
    check-ins (one query for all of them)."""
    checkins: dict[int, list] = {kr.pk: [] for kr in key_results}
    wanted = [kr.pk for kr in key_results if forecastable(kr)]
    if wanted:
        for checkin in recent_checkins(org_id=goal.org_id, key_results=wanted, limit=CHECKINS_READ):
            checkins[checkin.key_result_id].append(checkin)
    for kr in key_results:
        kr.forecast = kr_forecast(kr, checkins[kr.pk], goal.cycle.end)
        kr.forecast_text = forecast_sentence(kr, kr.forecast) if kr.forecast else ""


def _progress_chart(goal: Goal, tz: ZoneInfo) -> ProgressChart | None:
    """The goal's daily snapshots over its cycle and today's live value (one query)."""
    cycle = goal.cycle
    history = list(
        ProgressSnapshot.objects.filter(
            org=goal.org_id, goal=goal, day__gte=cycle.start, day__lte=cycle.end
        )
        .order_by("day")
        .values_list("day", "progress")
    )
    today = timezone.now().astimezone(tz).date()
    history = [(d, p) for d, p in history if d < today] + [(today, goal.progress)]
    return progress_chart(
        history,
        start=cycle.start,
        end=cycle.end,
        dom_id=f"progress-chart-{goal.pk}",
        title=f"Progress of {goal.title} over {cycle.name}",
    )


def _alignment_path(actor: Actor, goal: Goal) -> list[tuple[Goal, bool]]:
    """From the top of the goal's cascade down to the goal, each with "may the actor open it"."""
    above = alignment_path(goal, related=("owner__user",))  # one query, walking up
    return [(g, actor.can_view(g)) for g in above] + [(goal, True)]


def _changes_request(goal: Goal) -> ChangesRequest | None:
    if goal.status != GoalStatus.CHANGES_REQUESTED:
        return None
    asked = goal.last_changes_request
    if asked:
        when = datetime.fromisoformat(asked["at"]) if asked.get("at") else None
        return ChangesRequest(asked.get("comment", ""), asked.get("by", ""), when)
    # Sent back before the request was kept on the goal: the latest such event says it
    # (one more query, only for goals sent back before then).
    event = (
        GoalEvent.objects.filter(org=goal.org_id, goal=goal, kind=EventKind.CHANGES_REQUESTED)
        .select_related("actor__user")
        .order_by("-created_at", "-pk")
        .first()
    )
    if event is None:
        return None
    by = event.actor.display_name if event.actor else ""
    return ChangesRequest(event.comment, by, event.created_at)


def _awaiting_reapproval(
    actor: Actor, goal: Goal, key_results: list[KeyResult], can_edit: bool
) -> AwaitingReapproval | None:
    """Only when a change waits, and only for those who edit or approve the goal."""
    if not goal.needs_reapproval or not (can_edit or actor.can_approve(goal)):
        return None
    from goals.views.approval import pending_changes

    goal._prefetched_objects_cache = {"key_results": key_results}
    titles = {}
    parent_ids = {goal.parent_id, (goal.pending_changes or {}).get("parent_id")} - {None}
    if parent_ids:
        titles = dict(actor.visible_goals().filter(pk__in=parent_ids).values_list("pk", "title"))
    changes = pending_changes(goal, titles)
    del goal._prefetched_objects_cache
    proposed = proposed_progress(goal)
    parents = [
        (
            f"“{parent.title}”" if actor.can_view(parent) else PRIVATE_GOAL,
            percent(now),
            percent(then),
        )
        for parent, now, then in proposed_parents(goal, proposed)
    ]
    return AwaitingReapproval(goal.progress, proposed, changes, parents)


def _activity(
    actor: Actor, goal: Goal, offset: int, key_results: list[KeyResult]
) -> dict[str, Any]:
    """One page of the goal's activity, newest first, from ``offset``: one query for the
    events (one more row tells whether there is a next page) and Names' few."""
    events = list(
        GoalEvent.objects.filter(org=goal.org_id, goal=goal).select_related("actor__user")[
            offset : offset + ACTIVITY_PAGE + 1
        ]
    )
    more = len(events) > ACTIVITY_PAGE
    events = events[:ACTIVITY_PAGE]
    names = Names(actor, events, key_results)
    return {
        "timeline": [timeline_entry(e, names) for e in events],
        "activity_offset": offset,
        "activity_next": offset + ACTIVITY_PAGE if more else None,
    }


def _activity_offset(request: HttpRequest) -> int:
    """Where the page of activity starts (``?activity=N``); nonsense means the latest."""
    try:
        offset = int(request.GET.get("activity", 0))
    except ValueError:
        return 0
    return min(max(0, offset), ACTIVITY_MAX_OFFSET)


@require_GET
def goal_detail(request: HttpRequest, org_slug: str, goal_pk: int) -> HttpResponse:
    actor = request_actor(request)
    goal = get_goal(actor, goal_pk)
    offset = _activity_offset(request)
    if request.htmx and "activity" in request.GET:
        key_results = list(KeyResult.objects.filter(org=goal.org_id, goal=goal).only("title"))
        context = {"goal": goal, **_activity(actor, goal, offset, key_results)}
        return render(request, "goals/goal_detail.html#activity-page", context)
    key_results = _key_result_rows(goal)
    _add_forecasts(goal, key_results)
    # The badge reads the stored flag, as every other page does; the projections above
    # only say where each key result is heading.
    health = health_for(goal, request.org)
    children = list(actor.visible_goals().filter(parent=goal).select_related("owner__user", "unit"))
    explanation = why(
        goal,
        visible_ids={c.pk for c in children},
        org_slug=org_slug,
        key_results=key_results,
        tz=ZoneInfo(request.org.timezone),
    )
    path = _alignment_path(actor, goal)
    parent_visible = goal.parent is not None and actor.can_view(goal.parent)
    can_edit = actor.can_edit(goal)
    status = goal.status
    kpi_rows = goal_kpis(actor, goal, key_results)  # one query
    context = {
        **thread_context(request, actor, goal),
        "kpi_rows": kpi_rows,
        "changes_request": _changes_request(goal),
        "awaiting": _awaiting_reapproval(actor, goal, key_results, can_edit),
        "goal": goal,
        "h": health,
        "level_short": LEVEL_SHORT[goal.level],
        "key_results": key_results,
        "children": children,
        "uncounted_children": [c for c in children if not c.counts],
        "why": explanation,
        "progress_chart": _progress_chart(goal, ZoneInfo(request.org.timezone)),
        "why_rounded": bool(explanation.rows) and explanation.value_text != f"{goal.percent}%",
        "path": path,
        "aligned": path[0][0].level == Level.ORGANISATION,
        **_activity(actor, goal, offset, key_results),
        "parent_visible": parent_visible,
        "smart": smart.smart_check(
            title=goal.title,
            level=goal.level,
            parent_title=(goal.parent.title if parent_visible else PRIVATE_GOAL)
            if goal.parent
            else None,
            key_results=len(key_results),
            children=len(children),
            confidence=goal.confidence,
            due_date=goal.due_date,
            cycle_name=goal.cycle.name,
            cycle_start=goal.cycle.start,
            cycle_end=goal.cycle.end,
        ),
        "can_edit": can_edit,
        "can_submit": can_edit and status in (GoalStatus.DRAFT, GoalStatus.CHANGES_REQUESTED),
        "can_complete": can_edit and status == GoalStatus.APPROVED,
        "can_cancel": can_edit and status not in (GoalStatus.COMPLETED, GoalStatus.CANCELLED),
        "can_review": (status == GoalStatus.SUBMITTED or goal.needs_reapproval)
        and actor.can_approve(goal),
        "can_cascade": status == GoalStatus.APPROVED and actor.can_cascade(goal),
        "can_check_in": actor.can_check_in(goal),
        "can_propose": status not in (GoalStatus.COMPLETED, GoalStatus.CANCELLED),
    }
    context |= feedback_views.goal_section(actor, goal)  # "Feedback about this goal": one query
    return render(request, "goals/goal_detail.html", context)

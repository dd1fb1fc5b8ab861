"""My goals and inline check-ins on key results. Views parse, call a service, render.

A check-in sent with htmx answers with the key result's row and, out of band,
the new progress of its goal and of every ancestor goal that may be on screen
(every copy of it on the page sits in a ``progress-of-<goal pk>`` wrapper around
goals/_progress.html).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
    Window,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.formatting import number
from core.forms import apply_service_errors
from core.htmx import page_or_partial
from goals import services
from goals.access import Actor, check_in_refusal, get_goal, request_actor
from goals.charts import Sparkline, sparkline, with_unit
from goals.health import health_for
from goals.models import (
    CheckIn,
    Confidence,
    Cycle,
    Goal,
    KeyResult,
    Level,
    Milestone,
)
from goals.selectors import goals_above, path_above
from orgs.models import Membership

VALUE_REQUIRED = "Enter the new value."
VALUE_NOT_A_NUMBER = "Enter a number, such as 74 or 12.5."
DONE_REQUIRED = "Choose done or not done."
CONFIDENCE_REQUIRED = "Say how confident you are."
ROW_TEMPLATE = "goals/_checkin.html#kr-row"
# A sparkline shows this many check-ins, the latest (about a quarter of weekly ones);
# the history page pages through all of them.
SPARKLINE_POINTS = 13
HISTORY_PAGE_SIZE = 50
SAVED_TEMPLATE = "goals/_checkin.html#saved"


class CheckInForm(forms.Form):
    value = forms.DecimalField(
        max_digits=18,
        decimal_places=4,
        error_messages={"required": VALUE_REQUIRED, "invalid": VALUE_NOT_A_NUMBER},
    )
    confidence = forms.ChoiceField(
        choices=Confidence.choices,
        widget=forms.RadioSelect,
        label="Confidence",
        error_messages={"required": CONFIDENCE_REQUIRED},
    )
    note = forms.CharField(
        required=False,
        max_length=2000,
        label="Note (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, data=None, *, key_result: KeyResult, **kwargs) -> None:
        # Ids unique per key result: several forms may be open on one page.
        super().__init__(data, auto_id=f"kr{key_result.pk}-%s", **kwargs)
        kind = key_result.kind
        if kind == KeyResult.Kind.BOOLEAN:
            self.fields["value"] = forms.TypedChoiceField(
                choices=[("1", "Done"), ("0", "Not done")],
                coerce=Decimal,
                widget=forms.RadioSelect,
                label="Status now",
                error_messages={"required": DONE_REQUIRED},
            )
        elif kind == KeyResult.Kind.MILESTONES:
            # The checklist is the value; this check-in carries confidence and a note.
            del self.fields["value"]
        else:
            value = self.fields["value"]
            unit = f" ({key_result.unit_label})" if key_result.unit_label else ""
            value.label = f"New value{unit}"
            # The default step (0.0001) lets the browser refuse a fifth decimal place too.
            value.widget.attrs["inputmode"] = "decimal"
        # The first field takes the focus when the form opens in the row.
        first = next(iter(self.fields.values()))
        first.widget.attrs["autofocus"] = True


# --- What the page shows --------------------------------------------------------


@dataclass
class KeyResultRow:
    """A key result with its latest check-ins (oldest first; at most SPARKLINE_POINTS of
    ``total``) and milestones."""

    kr: KeyResult
    checkins: list[CheckIn]
    milestones: list[Milestone]
    can_check_in: bool
    total: int = 0

    @property
    def history_cut(self) -> bool:
        return self.total > len(self.checkins)

    @property
    def percent(self) -> int:
        return round(self.kr.progress * 100)

    @property
    def last(self) -> CheckIn | None:
        return self.checkins[-1] if self.checkins else None

    def show(self, value: Decimal) -> str:
        if self.kr.kind == KeyResult.Kind.BOOLEAN:
            return "done" if value >= 1 else "not done"
        if self.kr.kind == KeyResult.Kind.MILESTONES:
            return f"{number(value)} done"
        return with_unit(value, self.kr.unit_label)

    @property
    def last_value(self) -> str:
        return self.show(self.last.value) if self.last else ""

    @property
    def figures(self) -> str:
        kr = self.kr
        if kr.kind == KeyResult.Kind.BOOLEAN:
            return "Done" if kr.current_value >= 1 else "Not done yet"
        if kr.kind == KeyResult.Kind.MILESTONES:
            done = sum(m.done for m in self.milestones)
            return f"{done} of {len(self.milestones)} milestones done"
        now, target = self.show(kr.current_value), self.show(kr.target_value)
        if kr.direction == KeyResult.Direction.STAY_ABOVE:
            return f"Now {now}; stay above {target}"
        if kr.direction == KeyResult.Direction.STAY_BELOW:
            return f"Now {now}; stay below {target}"
        return f"Now {now}; target {target}, from {self.show(kr.start_value)}"

    @cached_property
    def chart(self) -> Sparkline | None:
        target = self.kr.target_value
        if self.kr.kind == KeyResult.Kind.MILESTONES:
            target = Decimal(len(self.milestones))
        return sparkline(
            [(c.created_at, c.value) for c in self.checkins],
            target=target,
            dom_id=f"history-{self.kr.pk}",
            title=f"Check-in history of {self.kr.title}",
            fmt=self.show,
            total=self.total,
        )


@dataclass
class GoalCard:
    goal: Goal  # with ``health`` set
    rows: list[KeyResultRow]
    # The goals it contributes to, top first; None stands for one the viewer may not see.
    path: list[Goal | None]
    trail: list[Goal | None] = field(default_factory=list)  # the part of the path shown


@dataclass
class Group:
    heading: str
    kicker: str
    top: Goal | None = None  # shown with its progress in the heading
    cards: list[GoalCard] = field(default_factory=list)

    @property
    def order(self) -> tuple:
        top = self.top
        rank = 0 if top and top.level == Level.ORGANISATION else 1 if top else 2
        return rank, self.heading.lower()


def _cycle_choice(request: HttpRequest) -> tuple[list[Cycle], Cycle | None]:
    """The org's cycles and the one asked for (?cycle=), else the active one, else the latest."""
    cycles = list(Cycle.objects.filter(org=request.org))
    wanted = request.GET.get("cycle", "")
    chosen = next((c for c in cycles if str(c.pk) == wanted), None)
    if chosen is None:
        active = [c for c in cycles if c.status == Cycle.Status.ACTIVE]
        chosen = (active or cycles or [None])[0]
    return cycles, chosen


def recent_checkins(*, org_id: int, key_results: list[int]) -> list[CheckIn]:
    """The latest SPARKLINE_POINTS check-ins of each key result, newest first: one query,
    however long the histories are."""
    checkins = CheckIn.objects.filter(org=org_id, key_result__in=key_results)
    checkins = checkins.select_related("author__user")
    if connection.vendor == "postgresql":
        # For each key result its latest few from the (org, key result, time) index: a
        # row number over each key result's check-ins read all of them (6,000 buffers
        # for 2,000 check-ins on every check-in).
        table = connection.ops.quote_name(CheckIn._meta.db_table)
        latest = f"""
            SELECT latest.id FROM unnest(%s::bigint[]) AS kr(id) CROSS JOIN LATERAL (
                SELECT c.id FROM {table} c WHERE c.org_id = %s AND c.key_result_id = kr.id
                ORDER BY c.created_at DESC, c.id DESC LIMIT {SPARKLINE_POINTS:d}
            ) AS latest
        """
        column = f"{table}.{connection.ops.quote_name('id')}"
        # Only quoted names and a constant are interpolated; values are params.
        checkins = checkins.filter(
            RawSQL(  # noqa: S611
                f"{column} = ANY(ARRAY({latest}))",
                (list(key_results), org_id),
                output_field=BooleanField(),
            )
        )
    else:
        by_kr = {"partition_by": [F("key_result_id")]}
        newest = Window(RowNumber(), order_by=[F("created_at").desc(), F("pk").desc()], **by_kr)
        checkins = checkins.annotate(rank=newest).filter(rank__lte=SPARKLINE_POINTS)
    return list(checkins.order_by("key_result_id", "-created_at", "-pk"))


def _rows(
    actor: Actor,
    goals: dict[int, Goal],
    *,
    key_result_pk: int | None = None,
    may_check_in: bool = False,
) -> dict[int, list[KeyResultRow]]:
    """Key result rows by goal id (three queries whatever the number of goals).

    ``may_check_in``: the caller knows the actor may check in on every goal (so the
    actor's reporting subtree need not be read to find out)."""
    org_id = actor.member.org_id
    krs = KeyResult.objects.filter(org=org_id, goal__in=list(goals))
    if key_result_pk is not None:
        krs = krs.filter(pk=key_result_pk)
    # How many check-ins each has, counted once a key result (from its index).
    count = (
        CheckIn.objects.filter(org=org_id, key_result=OuterRef("pk"))
        .order_by()
        .values("key_result")
        .annotate(n=Count("pk"))
        .values("n")
    )
    krs = list(
        krs.annotate(checkin_total=Subquery(count, output_field=IntegerField())).prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.filter(org=org_id))
        )
    )
    history: dict[int, list[CheckIn]] = {kr.pk: [] for kr in krs}
    totals = {kr.pk: kr.checkin_total or 0 for kr in krs}
    for checkin in recent_checkins(org_id=org_id, key_results=list(history)):
        history[checkin.key_result_id].append(checkin)
    can = {pk: may_check_in or actor.can_check_in(goal) for pk, goal in goals.items()}
    rows: dict[int, list[KeyResultRow]] = {pk: [] for pk in goals}
    for kr in krs:
        kr.goal = goals[kr.goal_id]
        checkins = history[kr.pk][::-1]  # oldest first
        milestones = list(kr.milestones.all())
        row = KeyResultRow(kr, checkins, milestones, can[kr.goal_id], totals[kr.pk])
        rows[kr.goal_id].append(row)
    return rows


def _my_goals_page(actor: Actor, org, cycle: Cycle) -> dict:
    """The viewer's own goals, grouped by what they serve (a fixed number of queries).

    Every goal they serve is on the page with its progress (``progress-of-<pk>``), so a
    check-in can update all of them. Their reports' goals are on the team page: listing
    everything below a manager made this page grow with the organisation.
    """
    me = actor.member
    goals = list(
        Goal.objects.filter(org=org.pk, cycle=cycle, owner=me)
        .select_related("owner__user", "unit")
        .order_by("title", "pk")
    )
    by_id = {g.pk: g for g in goals}
    # The goals above them: one walk up the parent links, as deep as the cascade.
    parents = {g.parent_id for g in goals if g.parent_id is not None}
    above = goals_above(org_id=org.pk, goal_ids=parents) if parents else []
    everything = {g.pk: g for g in above} | by_id
    for goal in everything.values():
        goal.cycle = cycle
        goal.health = health_for(goal, org)
    rows = _rows(actor, by_id)
    groups: dict[object, Group] = {}
    for goal in goals:
        path = [g if actor.can_view(g) else None for g in path_above(goal, everything)]
        card = GoalCard(goal, rows[goal.pk], path)
        top = path[0] if path else None
        if top is not None:
            key, group = top.pk, Group(top.title, top.get_level_display(), top=top)
        elif path:
            key, group = "private", Group("A goal you cannot see", "Contributes to")
        elif goal.level == Level.ORGANISATION:
            key, group = "objectives", Group("Organisation objectives", "You own")
        else:
            key, group = "unaligned", Group("Not aligned yet", "Contributes to nothing")
        groups.setdefault(key, group).cards.append(card)
        card.trail = path[1:]  # the group's heading shows the top
    return {"groups": sorted(groups.values(), key=lambda g: g.order)}


@require_GET
def my_goals(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    cycles, cycle = _cycle_choice(request)
    # Whether anyone reports to them, not who: a CEO's subtree is the whole organisation.
    reports = Membership.objects.filter(org=request.org, manager=actor.member, is_active=True)
    context = {"cycles": cycles, "cycle": cycle, "has_reports": reports.exists()}
    if cycle is not None:
        context |= _my_goals_page(actor, request.org, cycle)
    template = page_or_partial(request, "goals/my_goals.html", "goals-body")
    return render(request, template, context)


# --- Check-ins ---------------------------------------------------------------------


def _get_key_result(actor: Actor, kr_pk: int) -> KeyResult:
    """A key result loaded through its goal: another org's, missing or invisible is 404."""
    kr = KeyResult.objects.filter(org=actor.member.org_id, pk=kr_pk).first()
    if kr is None:
        raise Http404("No such key result")
    kr.goal = get_goal(actor, kr.goal_id)
    return kr


def _chain(actor: Actor, goal: Goal, org) -> list[Goal]:
    """The goal and all its ancestors the actor may see, fresh, with their health (one
    query, walking up from the goal)."""
    chain = []
    for ancestor in goals_above(org_id=goal.org_id, goal_ids=[goal.pk]):
        ancestor.cycle = goal.cycle
        if actor.can_view(ancestor):
            ancestor.health = health_for(ancestor, org)
            chain.append(ancestor)
    return chain


def _back_to_my_goals(request: HttpRequest, kr: KeyResult) -> str:
    """My goals for one's own key result; for a report's, their level of the team page."""
    owner = kr.goal.owner
    if owner.pk == request.membership.pk:
        url = reverse("goals:my_goals", args=[request.org.slug])
        return f"{url}?cycle={kr.goal.cycle_id}#kr-{kr.pk}"
    url = reverse("goals:team_goals", args=[request.org.slug])
    under = f"&under={owner.manager_id}" if owner.manager_id else ""
    return f"{url}?cycle={kr.goal.cycle_id}{under}#kr-{kr.pk}"


def _respond(
    request: HttpRequest,
    actor: Actor,
    kr: KeyResult,
    *,
    form: CheckInForm | None = None,
    notice: str = "",
    saved: str = "",
    status: int = 200,
) -> HttpResponse:
    """The key result's row: alone (htmx), with the new progress out of band after a
    change (htmx; ``saved`` says which: "checkin" or "milestone"), or on a page of its
    own (without JavaScript)."""
    goal = kr.goal
    row = _rows(actor, {goal.pk: goal}, key_result_pk=kr.pk)[goal.pk][0]
    context = {"row": row, "goal": goal, "form": form, "notice": notice, "saved": saved}
    if saved:
        context["chain"] = _chain(actor, goal, request.org)
        template = SAVED_TEMPLATE
    elif request.htmx:
        template = ROW_TEMPLATE
    else:
        template = "goals/checkin.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, org_slug: str, kr_pk: int) -> HttpResponse:
    """GET: the check-in form in the key result's row; POST: record a check-in."""
    actor = request_actor(request)
    kr = _get_key_result(actor, kr_pk)
    if request.method == "GET" and "closed" in request.GET:
        # Cancel: the row without the form (its link works without JavaScript too).
        if not request.htmx:
            return redirect(_back_to_my_goals(request, kr))
        return _respond(request, actor, kr)
    notice = check_in_refusal(actor, kr.goal)
    if notice:
        return _respond(request, actor, kr, notice=notice, status=400)
    posted = request.POST if request.method == "POST" else None
    initial = {"confidence": kr.goal.confidence or Confidence.MEDIUM}
    form = CheckInForm(posted, key_result=kr, initial=initial)
    if posted is not None and form.is_valid():
        data = form.cleaned_data
        value = data.get("value", kr.current_value)  # milestones: the checklist's count
        try:
            services.checkin_create(
                actor=actor,
                key_result=kr,
                value=value,
                confidence=data["confidence"],
                note=data["note"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, f"Check-in on “{kr.title}” saved.")
                return redirect(_back_to_my_goals(request, kr))
            return _respond(request, actor, kr, saved="checkin")
    return _respond(request, actor, kr, form=form, status=400 if form.errors else 200)


@require_POST
def milestone_toggle(request: HttpRequest, org_slug: str, milestone_pk: int) -> HttpResponse:
    """Tick or untick one milestone (a checkbox posting done=1, or nothing to reopen it)."""
    actor = request_actor(request)
    milestone = Milestone.objects.filter(org=request.org, pk=milestone_pk).first()
    if milestone is None:
        raise Http404("No such milestone")
    kr = _get_key_result(actor, milestone.key_result_id)
    milestone.key_result = kr
    notice = check_in_refusal(actor, kr.goal)
    if notice:
        return _respond(request, actor, kr, notice=notice, status=400)
    done = request.POST.get("done") == "1"
    services.milestone_set_done(actor=actor, milestone=milestone, done=done)
    if not request.htmx:
        state = "done" if done else "reopened"
        messages.success(request, f"Milestone “{milestone.title}” {state}.")
        return redirect(_back_to_my_goals(request, kr))
    return _respond(request, actor, kr, saved="milestone")


@require_GET
def kr_history(request: HttpRequest, org_slug: str, kr_pk: int) -> HttpResponse:
    """Every check-in of a key result, newest first, a page at a time."""
    actor = request_actor(request)
    kr = _get_key_result(actor, kr_pk)
    checkins = CheckIn.objects.filter(org=kr.org_id, key_result=kr).select_related("author__user")
    page = Paginator(checkins.order_by("-created_at", "-pk"), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    row = KeyResultRow(kr, [], [], False)
    for checkin in page:
        checkin.display_value = row.show(checkin.value)
    context = {"kr": kr, "goal": kr.goal, "page": page}
    return render(request, "goals/kr_history.html", context)

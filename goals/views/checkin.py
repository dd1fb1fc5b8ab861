"""My goals and inline check-ins on key results. Views parse, call a service, render.

A check-in sent with htmx answers with the key result's row and, out of band,
the new progress of its goal and of every ancestor goal that may be on screen
(every copy of it on the page sits in a ``progress-of-<goal pk>`` wrapper around
goals/_progress.html).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import apply_service_errors
from core.htmx import page_or_partial
from feedback.threads import with_comment_counts
from goals import selectors, services
from goals.access import Actor, check_in_refusal, get_goal, request_actor
from goals.health import health_for
from goals.models import (
    CheckIn,
    Confidence,
    Goal,
    KeyResult,
    Milestone,
)
from goals.presenters import (
    KeyResultRow,
    key_result_rows,
    my_goals_page,
)
from goals.selectors import goals_above
from orgs.models import Membership

VALUE_REQUIRED = "Enter the new value."
VALUE_NOT_A_NUMBER = "Enter a number, such as 74 or 12.5."
DONE_REQUIRED = "Choose done or not done."
CONFIDENCE_REQUIRED = "Say how confident you are."
ROW_TEMPLATE = "goals/_checkin.html#kr-row"
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


@require_GET
def my_goals(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    cycles, cycle = selectors.cycle_choice(org=request.org, wanted=request.GET.get("cycle", ""))
    # Whether anyone reports to them, not who: a CEO's subtree is the whole organisation.
    reports = Membership.objects.filter(org=request.org, manager=actor.member, is_active=True)
    context = {"cycles": cycles, "cycle": cycle, "has_reports": reports.exists()}
    if cycle is not None:
        context |= my_goals_page(actor, request.org, cycle)
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
    row = key_result_rows(actor, {goal.pk: goal}, key_result_pk=kr.pk)[goal.pk][0]
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
    checkins = CheckIn.objects.filter(org=kr.org_id, key_result=kr).select_related(
        "author__user", "kpi"
    )
    checkins = with_comment_counts(checkins)  # "N comments" per check-in (feedback.threads)
    page = Paginator(checkins.order_by("-created_at", "-pk"), HISTORY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    row = KeyResultRow(kr, [], [], False)
    for checkin in page:
        checkin.display_value = row.show(checkin.value)
    context = {"kr": kr, "goal": kr.goal, "page": page}
    return render(request, "goals/kr_history.html", context)

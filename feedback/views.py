"""Feedback pages: the person's feedback page, giving, requesting and answering feedback,
a colleague's page and the feedback about a goal. Views parse, call feedback.services,
render; what a viewer may read is feedback.access's one rule.

Feedback is read once its recipient has been shown its text, on any page (then it no
longer changes). Every list shows PAGE_SIZE rows a page (htmx swaps one section in
place; the links work without JavaScript) and reads a fixed number of queries whatever
its size (feedback/tests/test_feedback_pages.py pins them).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import apply_service_errors
from core.htmx import page_or_partial
from core.params import id_param, text_param, to_id
from feedback import recognition, selectors, services
from feedback.access import get_feedback, get_request
from feedback.forms import (
    AnswerForm,
    CorrectForm,
    DeclineForm,
    GiveForm,
    RequestForm,
    person_by_email,
)
from feedback.models import Feedback, FeedbackRequest, FeedbackVisibility
from goals.access import NOT_ALLOWED, Actor, get_goal, request_actor
from goals.models import CheckIn, Goal
from orgs.models import Membership
from orgs.selectors import colleagues_matching

PAGE_SIZE = 20
GOAL_SHOWN = 5
PEOPLE_OPTIONS = 20
REPORT_MENU_LIMIT = 200
GIVEN = "Feedback sent to {name}."
ASKED = "Request sent to {count} colleague{s}."
ANSWERED = "Thank you: your feedback was sent to {name}."
DECLINED = "Request declined."
CORRECTED = "Feedback corrected; the earlier text is kept."
HOME_SECTIONS = ("received", "given", "waiting", "sent", "reports")


def _page(request: HttpRequest, qs, name: str):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get(f"{name}_page"))


def _annotate_days(people) -> None:
    for person in people:
        person.days = selectors.days_since(person.last_received)
        person.quiet = selectors.is_quiet(person.last_received)


# --- The feedback page -------------------------------------------------------------


@require_GET
def feedback_home(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    target = request.htmx.target if request.htmx else None
    wanted = [target] if target in HOME_SECTIONS else list(HOME_SECTIONS)
    context: dict = {"nav": "feedback"}
    if "received" in wanted:
        context["received"] = _page(request, selectors.received(actor), "received")
        services.mark_shown_read(actor=actor, shown=context["received"])
    if "given" in wanted:
        context["given"] = _page(request, selectors.given(actor), "given")
    if "waiting" in wanted:
        context["waiting"] = _page(request, selectors.waiting_for(actor), "waiting")
    if "sent" in wanted:
        context["sent"] = _page(request, selectors.sent_by(actor), "sent")
    if "reports" in wanted:
        reports = _page(request, selectors.direct_reports(actor), "reports")
        _annotate_days(reports)
        context["reports"] = reports
        context["quiet_days"] = selectors.QUIET_DAYS
    partial = target if target in HOME_SECTIONS else "received"
    return render(request, page_or_partial(request, "feedback/home.html", partial), context)


@require_GET
def feedback_detail(request: HttpRequest, org_slug: str, feedback_pk: int) -> HttpResponse:
    """One feedback; the recipient opening it marks it read (it no longer changes)."""
    actor = request_actor(request)
    feedback = get_feedback(actor, feedback_pk)
    services.mark_read(actor=actor, feedback=feedback)
    return _detail_page(request, actor, feedback, CorrectForm(initial={"body": feedback.body}))


def _detail_page(
    request: HttpRequest, actor: Actor, feedback: Feedback, form: CorrectForm, status: int = 200
) -> HttpResponse:
    is_giver = feedback.giver_id == actor.member.pk
    revisions = list(feedback.revisions.all())
    context = {
        "nav": "feedback",
        "feedback": feedback,
        "edited": bool(revisions),
        # The earlier wording is the giver's: the others see "edited".
        "revisions": revisions if is_giver else [],
        "is_giver": is_giver,
        # Reading the feedback does not make a private goal's title readable.
        "goal_visible": feedback.goal is not None and actor.can_view(feedback.goal),
        "can_correct": is_giver and feedback.read_at is None,
        "form": form,
    }
    return render(request, "feedback/detail.html", context, status=status)


@require_POST
def feedback_correct(request: HttpRequest, org_slug: str, feedback_pk: int) -> HttpResponse:
    actor = request_actor(request)
    feedback = get_feedback(actor, feedback_pk)
    form = CorrectForm(request.POST)
    if form.is_valid():
        try:
            services.correct_feedback(
                actor=actor, feedback=feedback, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, CORRECTED)
            return redirect("feedback:feedback_detail", org_slug=org_slug, feedback_pk=feedback.pk)
    feedback = get_feedback(actor, feedback_pk)
    return _detail_page(request, actor, feedback, form, status=400)


# --- Giving ------------------------------------------------------------------------


def _membership(request: HttpRequest, pk: int | None) -> Membership | None:
    if pk is None:
        return None
    return Membership.objects.filter(org=request.org, pk=pk).select_related("user").first()


def _checkin(actor: Actor, pk: int | None) -> CheckIn | None:
    if pk is None:
        return None
    return (
        CheckIn.objects.filter(org=actor.member.org_id, pk=pk, goal__in=actor.visible_goals())
        .select_related("goal")
        .first()
    )


def _visible_goal(actor: Actor, pk: int | None) -> Goal | None:
    return actor.visible_goals().filter(pk=pk).first() if pk else None


@require_http_methods(["GET", "POST"])
def give(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    org = request.org
    if request.method == "GET":
        recipient = _membership(request, id_param(request, "to"))
        checkin = _checkin(actor, id_param(request, "checkin"))
        if recipient is None and (checkin or id_param(request, "goal")):
            # A goal or check-in alone names its owner.
            goal = checkin.goal if checkin else _visible_goal(actor, id_param(request, "goal"))
            recipient = _membership(request, goal.owner_id) if goal else None
        initial = {
            "recipient": recipient.user.email if recipient else "",
            "goal": id_param(request, "goal") or (checkin.goal_id if checkin else None),
            "checkin": checkin.pk if checkin else None,
        }
        goals = selectors.goal_menu(actor, recipient)
        form = GiveForm(initial=initial, org=org, goals=goals)
        return _give_page(request, form, checkin)
    recipient = person_by_email(org, request.POST.get("recipient", ""))
    goals = selectors.goal_menu(actor, recipient)
    form = GiveForm(request.POST, org=org, goals=goals)
    if "show_goals" in request.POST:  # without JavaScript: reload the recipient's goals
        kept = {k: request.POST.get(k) for k in ("recipient", "body", "visibility", "checkin")}
        return _give_page(request, GiveForm(initial=kept, org=org, goals=goals))
    checkin = None
    if form.is_valid():
        data = form.cleaned_data
        checkin = _checkin(actor, data["checkin"])
        goal = next((g for g in goals if g.pk == data["goal"]), None)
        try:
            if data["checkin"] and checkin is None:
                raise ValidationError({"checkin": services.CHECKIN_NOT_THEIRS})
            services.give_feedback(
                actor=actor,
                recipient=data["recipient"],
                body=data["body"],
                visibility=data["visibility"],
                goal=goal,
                checkin=checkin,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, GIVEN.format(name=data["recipient"].display_name))
            return redirect(reverse("feedback:feedback_home", args=[org_slug]) + "#given")
    return _give_page(request, form, checkin, status=400)


def _give_page(request, form: GiveForm, checkin: CheckIn | None = None, status: int = 200):
    context = {"nav": "feedback", "form": form, "checkin": checkin}
    return render(request, "feedback/give.html", context, status=status)


@require_GET
def goal_options(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The goal menu for the person chosen (``recipient`` email, or ``about`` id), for htmx."""
    actor = request_actor(request)
    if "about" in request.GET:
        person = _membership(request, id_param(request, "about"))
        field = RequestForm(
            org=request.org, me=actor.member, reports=[], goals=selectors.goal_menu(actor, person)
        )["goal"]
    else:
        person = person_by_email(request.org, text_param(request, "recipient", max_length=254))
        field = GiveForm(org=request.org, goals=selectors.goal_menu(actor, person))["goal"]
    return HttpResponse(str(field))


@require_GET
def people_options(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Up to 20 active colleagues matching what was typed, as <option>s for a datalist.

    For the "colleagues to ask" list, the last name typed is searched and each option
    keeps the addresses before it, so choosing one completes the list.
    """
    if "asked" in request.GET:
        typed = request.GET.get("asked", "").replace("\x00", "")[:5000]
        before, _, search = typed.rpartition(",")
        prefix = f"{before.strip()}, " if before.strip() else ""
    else:
        prefix, search = "", request.GET.get("recipient", request.GET.get("q", ""))
    search = search.replace("\x00", "").strip()[:100]
    if not search:
        return HttpResponse("")
    found = colleagues_matching(org=request.org, search=search).exclude(pk=request.membership.pk)[
        :PEOPLE_OPTIONS
    ]
    return HttpResponse(
        format_html_join(
            "\n",
            "{}",
            (
                (format_html('<option value="{}{}">{}</option>', prefix, p.user.email, _label(p)),)
                for p in found
            ),
        )
    )


def _label(person: Membership) -> str:
    label = f"{person.user.full_name} ({person.user.email})" if person.user.full_name else ""
    label = label or person.user.email
    return f"{label} · {person.title}" if person.title else label


# --- Requests ----------------------------------------------------------------------


def _reports(actor: Actor) -> list[Membership]:
    if not actor.subtree:
        return []
    return list(
        Membership.objects.filter(org=actor.member.org_id, pk__in=actor.subtree, is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")[:REPORT_MENU_LIMIT]
    )


@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    org = request.org
    reports = _reports(actor)
    people = {actor.member.pk: actor.member} | {p.pk: p for p in reports}
    source = request.POST if request.method == "POST" else request.GET
    about = people.get(to_id(str(source.get("about", "")))) or actor.member
    goals = selectors.goal_menu(actor, about)
    kwargs = {"org": org, "me": actor.member, "reports": reports, "goals": goals}
    if request.method == "GET" or "show_goals" in request.POST:
        initial = {"about": about.pk, "goal": id_param(request, "goal")}
        if request.method == "POST":
            initial |= request.POST.dict()
        form = RequestForm(initial=initial, **kwargs)
        return render(request, "feedback/request.html", {"nav": "feedback", "form": form})
    form = RequestForm(request.POST, **kwargs)
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = services.request_feedback(
                actor=actor,
                asked=data["asked"],
                about=about,
                goal=next((g for g in goals if g.pk == data["goal"]), None),
                prompt=data["prompt"],
                due_date=data["due_date"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            n = len(made)
            messages.success(request, ASKED.format(count=n, s="" if n == 1 else "s"))
            return redirect(reverse("feedback:feedback_home", args=[org_slug]) + "#sent")
    return render(request, "feedback/request.html", {"nav": "feedback", "form": form}, status=400)


@require_http_methods(["GET", "POST"])
def request_detail(request: HttpRequest, org_slug: str, request_pk: int) -> HttpResponse:
    """A request: the person asked answers (or declines) it; the others see its status."""
    actor = request_actor(request)
    feedback_request = get_request(actor, request_pk)
    can_answer = (
        feedback_request.asked_id == actor.member.pk
        and feedback_request.status == FeedbackRequest.Status.OPEN
    )
    form = _answer_form(request, feedback_request)
    if request.method == "GET":
        return _request_page(request, feedback_request, can_answer, form)
    if feedback_request.asked_id != actor.member.pk:
        raise PermissionDenied(NOT_ALLOWED)
    if form.is_valid():
        try:
            services.give_feedback(
                actor=actor,
                recipient=feedback_request.about,
                body=form.cleaned_data["body"],
                visibility=form.cleaned_data["visibility"],
                goal=feedback_request.goal,
                request=feedback_request,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            name = feedback_request.about.display_name
            messages.success(request, ANSWERED.format(name=name))
            return redirect("feedback:feedback_home", org_slug=org_slug)
    return _request_page(request, feedback_request, can_answer, form, status=400)


def _answer_form(request: HttpRequest, feedback_request: FeedbackRequest) -> AnswerForm:
    return AnswerForm(request.POST if request.method == "POST" else None)


def _request_page(request, feedback_request, can_answer, form, *, status=200, decline=None):
    context = {
        "nav": "feedback",
        "req": feedback_request,
        # The goal may have become private since the request was made.
        "goal_visible": feedback_request.goal is not None
        and request_actor(request).can_view(feedback_request.goal),
        "can_answer": can_answer,
        "form": form,
        "decline_form": decline or DeclineForm(),
        "visibilities": FeedbackVisibility,
    }
    return render(request, "feedback/request_detail.html", context, status=status)


@require_POST
def request_decline(request: HttpRequest, org_slug: str, request_pk: int) -> HttpResponse:
    actor = request_actor(request)
    feedback_request = get_request(actor, request_pk)
    decline = DeclineForm(request.POST)
    if decline.is_valid():
        try:
            services.decline_request(
                actor=actor, request=feedback_request, reason=decline.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_service_errors(decline, error)
        else:
            messages.success(request, DECLINED)
            return redirect("feedback:feedback_home", org_slug=org_slug)
    form = _answer_form(request, feedback_request)
    return _request_page(request, feedback_request, False, form, status=400, decline=decline)


# --- A colleague's page ------------------------------------------------------------


@require_GET
def person(request: HttpRequest, org_slug: str, membership_pk: int) -> HttpResponse:
    actor = request_actor(request)
    found = (
        Membership.objects.filter(org=request.org, pk=membership_pk)
        .select_related("user", "unit", "manager__user")
        .first()
    )
    if found is None:
        raise Http404("No such colleague")
    page = _page(request, selectors.readable_about(actor, found), "feedback")
    services.mark_shown_read(actor=actor, shown=page)
    if request.htmx and request.htmx.target == "person-feedback":
        context = {"person": found, "page": page}
        return render(request, "feedback/person.html#person-feedback", context)
    is_me = found.pk == actor.member.pk
    in_chain = actor.manages(found.pk)
    cycle = selectors.active_cycle(request.org.pk)
    context = {
        "nav": "feedback",
        "person": found,
        "page": page,
        "is_me": is_me,
        "in_chain": in_chain,
        "may_give": not is_me and found.is_active,
        "may_request": found.is_active and (is_me or in_chain),
        "cycle": cycle,
        "person_recognition": recognition.person_summary(
            org=request.org, person=found, cycle=cycle
        ),
    }
    if in_chain:
        last = selectors.last_received(request.org.pk, [found.pk]).get(found.pk)
        context["last_days"] = selectors.days_since(last)
        context["quiet"] = selectors.is_quiet(last)
    elif actor.is_admin and not is_me:
        context["counts"] = selectors.counts_in(actor, found, cycle)
    return render(request, "feedback/person.html", context)


# --- The feedback about a goal -----------------------------------------------------


def goal_section(actor: Actor, goal: Goal) -> dict:
    """The goal page's "Feedback about this goal": the newest GOAL_SHOWN the viewer may
    read, and whether there are more (one query)."""
    shown = list(selectors.readable_on_goal(actor, goal)[: GOAL_SHOWN + 1])
    services.mark_shown_read(actor=actor, shown=shown[:GOAL_SHOWN])  # the owner's new ones
    return {
        "goal_feedback": shown[:GOAL_SHOWN],
        "goal_feedback_more": len(shown) > GOAL_SHOWN,
        "may_give_on_goal": goal.owner_id != actor.member.pk,
    }


@require_GET
def goal_feedback(request: HttpRequest, org_slug: str, goal_pk: int) -> HttpResponse:
    actor = request_actor(request)
    goal = get_goal(actor, goal_pk)
    page = _page(request, selectors.readable_on_goal(actor, goal), "feedback")
    services.mark_shown_read(actor=actor, shown=page)
    context = {"nav": "feedback", "goal": goal, "page": page}
    return render(
        request, page_or_partial(request, "feedback/goal_feedback.html", "goal-list"), context
    )

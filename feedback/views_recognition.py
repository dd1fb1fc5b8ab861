"""Recognition pages: the feed, one kudos, giving kudos, reactions and the company values
(admins). Views parse, call feedback.recognition, render.

The feed reads a fixed number of queries however many kudos, recipients, goals and
reactions there are: the page of kudos (givers and values joined), their recipients,
goals and reaction counts, the filter's values (feedback/tests pin them). Its unit
filter is a text box whose suggestions come from ``unit_options`` as one types (an
organisation may have hundreds of units); ``?unit=<id>`` still filters and fills it.
Its "Load more" is keyset pagination on (created_at, id): ``?after=<cursor>``, a plain
link without JavaScript, a swap of the list's tail with htmx.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import apply_service_errors
from core.params import id_param, text_param, to_id
from feedback import recognition
from feedback.models import MAX_KUDOS, CompanyValue
from goals.access import Actor, request_actor
from goals.models import Cycle, Goal
from orgs.models import Membership, Unit
from orgs.views import admin_required

GIVEN = "Kudos given: {names} will be notified."
NOBODY_MATCHES = "No active colleague matches “{q}”: choose one of the suggestions."
SEVERAL_MATCH = "Several people are called “{q}”: type their email address."
VALUE_SAVED = "Value “{name}” saved."
VALUE_ADDED = "Value “{name}” added."
VALUE_ARCHIVED = "Value “{name}” archived: it stays on past kudos but cannot be chosen."
VALUE_RESTORED = "Value “{name}” restored."
NO_UNIT = "No unit matches “{q}”: choose one of the suggestions."
SEVERAL_UNITS = "Several units match “{q}”: choose one of the suggestions."
GOAL_CHOICES = 100
UNIT_OPTIONS = 20
IN_PARENT = re.compile(r"(.+) \(in (.+)\)")


# --- The feed ----------------------------------------------------------------------


def _org_tz(request: HttpRequest) -> ZoneInfo:
    try:
        return ZoneInfo(request.org.timezone)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _person_by_text(org_id: int, q: str) -> tuple[Membership | None, str]:
    """The member whose email (or full name) is ``q``, and an error when there is none
    or several."""
    people = list(
        Membership.objects.filter(org=org_id)
        .filter(Q(user__email__iexact=q) | Q(user__full_name__iexact=q))
        .select_related("user")[:2]
    )
    exact = [p for p in people if p.user.email.lower() == q.lower()]
    if exact:
        return exact[0], ""
    if len(people) == 1:
        return people[0], ""
    return None, (SEVERAL_MATCH if people else NOBODY_MATCHES).format(q=q)


def unit_label(unit: Unit) -> str:
    """A unit as the filter shows and suggests it: its name, and the unit it sits in
    (``parent`` should be selected with it)."""
    return f"{unit.name} (in {unit.parent.name})" if unit.parent_id else unit.name


def _unit_by_text(org_id: int, q: str) -> tuple[Unit | None, str]:
    """The unit labelled ``q`` ("Name (in Parent)" as suggested, or just its name), else
    the one unit whose name contains it; an error when there is none or several."""
    units = Unit.objects.filter(org=org_id).select_related("parent")
    found: list[Unit] = []
    labelled = IN_PARENT.fullmatch(q)
    if labelled:
        found = list(units.filter(name__iexact=labelled[1], parent__name__iexact=labelled[2])[:2])
    if not found:
        found = list(units.filter(name__iexact=q)[:2])
    if not found:
        found = list(units.filter(name__icontains=q)[:2])
    if len(found) == 1:
        return found[0], ""
    return None, (SEVERAL_UNITS if found else NO_UNIT).format(q=q)


def _feed_filters(request: HttpRequest) -> tuple[recognition.Filters, dict, str]:
    """The filters in the query string (ids of this organisation only; others ignored),
    the query string that keeps them, and a note when a unit or person typed matches
    nothing or several."""
    org = request.org
    filters = recognition.Filters()
    kept: dict[str, object] = {}
    notes: list[str] = []
    unit_id = id_param(request, "unit")
    unit_q = text_param(request, "unit_name", max_length=200)
    if unit_id:
        filters.unit = Unit.objects.filter(org=org, pk=unit_id).select_related("parent").first()
    elif unit_q:
        filters.unit, unit_note = _unit_by_text(org.pk, unit_q)
        notes.append(unit_note)
    if filters.unit:
        kept["unit"] = filters.unit.pk
    value_id = id_param(request, "value")
    if value_id:
        filters.value = CompanyValue.objects.filter(org=org, pk=value_id).first()
        if filters.value:
            kept["value"] = value_id
    person_id = id_param(request, "person")
    q = text_param(request, "q", max_length=254)
    if person_id:
        filters.person = (
            Membership.objects.filter(org=org, pk=person_id).select_related("user").first()
        )
    elif q:
        filters.person, person_note = _person_by_text(org.pk, q)
        notes.append(person_note)
    if filters.person:
        kept["person"] = filters.person.pk
    return filters, kept, " ".join(n for n in notes if n)


@require_GET
def feed(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    filters, kept, note = _feed_filters(request)
    after = recognition.parse_cursor(text_param(request, "after"))
    qs = recognition.feed(org=request.org, filters=filters)
    kudos, cursor = recognition.feed_page(qs, after=after)
    recognition.hydrate(actor, kudos)
    query = urlencode(kept)
    context = {
        "kudos_list": kudos,
        "next_cursor": cursor,
        "query": query,
        "filters": filters,
        "note": note,
        "is_more": after is not None,
        "feed_url": reverse("recognition:feed", args=[org_slug]),
        "nav": "recognition",
    }
    if request.htmx and not request.htmx.history_restore_request and after is not None:
        template = "feedback/recognition_feed.html#items"
    else:
        template = "feedback/recognition_feed.html"
        context |= {
            "unit_q": (
                unit_label(filters.unit) if filters.unit else text_param(request, "unit_name")
            ),
            "values": list(recognition.values_of(request.org)),
            "q": filters.person.user.email if filters.person else text_param(request, "q"),
        }
    with timezone.override(_org_tz(request)):
        return render(request, template, context)


@require_GET
def unit_options(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Up to 20 units of this organisation whose name contains what was typed in the
    feed's unit filter, as <option>s for its datalist."""
    search = text_param(request, "unit_name", max_length=100)
    if not search:
        return HttpResponse("")
    found = (
        Unit.objects.filter(org=request.org, name__icontains=search)
        .select_related("parent")
        .order_by("name", "pk")[:UNIT_OPTIONS]
    )
    options = ((format_html('<option value="{}">', unit_label(u)),) for u in found)
    return HttpResponse(format_html_join("\n", "{}", options))


@require_GET
def detail(request: HttpRequest, org_slug: str, recognition_pk: int) -> HttpResponse:
    actor = request_actor(request)
    kudos = recognition.get_recognition(actor, recognition_pk)
    recognition.hydrate(actor, [kudos])
    context = {"kudos": kudos, "nav": "recognition"}
    with timezone.override(_org_tz(request)):
        return render(request, "feedback/recognition_detail.html", context)


@require_POST
def react(request: HttpRequest, org_slug: str, recognition_pk: int) -> HttpResponse:
    """Toggle the viewer's reaction; htmx gets the reactions again, a form post goes back."""
    actor = request_actor(request)
    kudos = recognition.get_recognition(actor, recognition_pk)
    emoji = request.POST.get("emoji", "")
    try:
        recognition.toggle_reaction(actor=actor, recognition=kudos, emoji=emoji)
    except ValidationError:
        return HttpResponse(recognition.EMOJI_UNKNOWN, status=400, content_type="text/plain")
    back = request.POST.get("next", "").replace("\x00", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, {request.get_host()}, request.is_secure()
    ):
        back = reverse("recognition:detail", args=[org_slug, kudos.pk])
    if request.htmx:
        recognition.hydrate(actor, [kudos])
        context = {"kudos": kudos, "back": back}
        return render(request, "feedback/_kudos_reactions.html", context)
    return redirect(back.split("#")[0] + f"#kudos-{kudos.pk}")


# --- Giving kudos ----------------------------------------------------------------


class RecipientsField(forms.Field):
    """Membership ids posted as hidden inputs; what is not an id stays None."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int | None]:
        if not value:
            return []
        return [to_id(str(v)) for v in (value if isinstance(value, list) else [value])]


class ValueChoiceField(forms.ModelChoiceField):
    """A value by id that refuses what could not be an id before asking the database."""

    def to_python(self, value):
        if value not in self.empty_values and to_id(str(value)) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class GoalChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        if any(to_id(str(pk)) is None for pk in value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super()._check_values(value)

    def label_from_instance(self, obj: Goal) -> str:
        return f"{obj.title} ({obj.owner.display_name})"


class KudosForm(forms.Form):
    recipients = RecipientsField(required=False)
    q = forms.CharField(
        required=False,
        max_length=254,
        label="Add a colleague",
        help_text="Type a name or email and choose from the suggestions, then Add.",
    )
    message = forms.CharField(
        required=False,
        label="What did they do well?",
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_KUDOS}),
    )
    value = ValueChoiceField(
        queryset=CompanyValue.objects.none(),
        required=False,
        label="Company value",
        empty_label="— none",
        error_messages={"invalid_choice": recognition.VALUE_UNAVAILABLE},
    )
    goals = GoalChoiceField(
        queryset=Goal.objects.none(),
        required=False,
        label="Goals it served",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": recognition.GOAL_NOT_THEIRS,
            "invalid_pk_value": recognition.GOAL_NOT_THEIRS,
        },
    )

    def __init__(self, *args, actor: Actor, people: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        org_id = actor.member.org_id
        self.fields["value"].queryset = CompanyValue.objects.filter(org=org_id, is_active=True)
        goals = (
            actor.visible_goals()
            .filter(owner__in=people or [0])
            .exclude(cycle__status=Cycle.Status.CLOSED)
            .order_by("owner_id", "title", "pk")
        )
        # At most GOAL_CHOICES boxes (a subquery: the field filters its queryset again).
        self.fields["goals"].queryset = (
            Goal.objects.filter(pk__in=goals.values("pk")[:GOAL_CHOICES])
            .select_related("owner__user")
            .order_by("owner_id", "title", "pk")
        )

    def clean_q(self) -> str:
        return (self.cleaned_data.get("q") or "").replace("\x00", "").strip()


def _people(org_id: int, ids: list[int | None]) -> list[Membership | None]:
    """The members with these ids, in order; an id of nobody here is None."""
    found = {
        p.pk: p
        for p in Membership.objects.filter(org=org_id, pk__in=[i for i in ids if i]).select_related(
            "user"
        )
    }
    seen: dict[int, Membership | None] = {}
    for pk in ids:
        seen.setdefault(pk or 0, found.get(pk or 0))
    return list(seen.values())


def _can_add(actor: Actor, person: Membership) -> str:
    if person.pk == actor.member.pk:
        return recognition.TO_SELF
    if not person.is_active:
        return recognition.NOT_A_COLLEAGUE
    return ""


@require_http_methods(["GET", "POST"])
def give(request: HttpRequest, org_slug: str) -> HttpResponse:
    """A multi-add list of colleagues (Add and Remove post the form back), the message,
    a value and goals of the chosen people."""
    actor = request_actor(request)
    org_id = actor.member.org_id
    status = 200
    if request.method == "GET":
        people: list[Membership | None] = []
        wanted = id_param(request, "to")
        if wanted:
            person = Membership.objects.filter(org=org_id, pk=wanted).select_related("user").first()
            if person is not None and not _can_add(actor, person):
                people = [person]
        form = KudosForm(actor=actor, people=[p.pk for p in people if p])
        return _give_page(request, form, people, status)

    posted = RecipientsField(required=False).clean(request.POST.getlist("recipients"))[
        : recognition.MAX_RECIPIENTS + 1
    ]
    form = KudosForm(request.POST, actor=actor, people=[i for i in posted if i])
    form.is_valid()
    people = _people(org_id, posted)
    removing = to_id(request.POST.get("remove", ""))
    if removing:
        people = [p for p in people if p is None or p.pk != removing]
    q = form.cleaned_data.get("q", "")
    q_error = ""
    if q:
        person, q_error = _person_by_text(org_id, q)
        if person is not None:
            q_error = _can_add(actor, person)
            if not q_error and all(p is None or p.pk != person.pk for p in people):
                people.append(person)
    if request.POST.get("action") == "give" and not q_error:
        form_errors = {k: v for k, v in form.errors.items() if k in ("value", "goals")}
        if not form_errors:
            try:
                kudos = recognition.give_kudos(
                    actor=actor,
                    recipients=people,
                    message=form.cleaned_data.get("message", ""),
                    value=form.cleaned_data.get("value"),
                    goals=list(form.cleaned_data.get("goals") or []),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                names = ", ".join(p.display_name for p in people if p)
                messages.success(request, GIVEN.format(names=names))
                return redirect(reverse("recognition:feed", args=[org_slug]) + f"#kudos-{kudos.pk}")
        return _give_page(request, form, people, 400, q_error=q_error)
    # Add or Remove: the same form again with the list changed and nothing else checked.
    initial = {
        "message": form.cleaned_data.get("message", ""),
        "value": form.cleaned_data.get("value"),
        "goals": list(form.cleaned_data.get("goals") or []),
        "q": q if q_error else "",
    }
    fresh = KudosForm(actor=actor, people=[p.pk for p in people if p], initial=initial)
    return _give_page(request, fresh, people, 400 if q_error else 200, q_error=q_error)


def _give_page(request, form, people, status, *, q_error: str = "") -> HttpResponse:
    context = {
        "form": form,
        "people": [p for p in people if p is not None],
        "q_error": q_error,
        "max_recipients": recognition.MAX_RECIPIENTS,
        "max_goals": recognition.MAX_GOALS,
        "has_errors": bool(form.is_bound and form.errors) or bool(q_error),
        "nav": "recognition",
    }
    return render(request, "feedback/recognition_give.html", context, status=status)


# --- Company values (admins) -------------------------------------------------------


class ValueForm(forms.Form):
    name = forms.CharField(max_length=60, label="Name")
    description = forms.CharField(
        max_length=300, required=False, label="Description", widget=forms.Textarea({"rows": 2})
    )
    emoji = forms.CharField(
        max_length=8, required=False, label="Emoji", help_text="One emoji, or leave it empty."
    )
    colour = forms.CharField(
        max_length=7,
        initial="#0b6e5f",
        label="Colour",
        help_text="Shown as an accent beside the name.",
        widget=forms.TextInput(attrs={"type": "color"}),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def values(request: HttpRequest, org_slug: str) -> HttpResponse:
    actor = request_actor(request)
    form = ValueForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            value = recognition.value_create(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, VALUE_ADDED.format(name=value.name))
            return redirect("recognition:values", org_slug=org_slug)
    context = {"form": form, "values": list(recognition.values_of(request.org)), "nav": "settings"}
    return render(request, "feedback/values.html", context, status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def value_edit(request: HttpRequest, org_slug: str, value_pk: int) -> HttpResponse:
    actor = request_actor(request)
    value = recognition.get_value(actor, value_pk)
    initial = {f: getattr(value, f) for f in ("name", "description", "emoji", "colour")}
    form = ValueForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            recognition.value_update(actor=actor, value=value, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
            value.refresh_from_db()
        else:
            messages.success(request, VALUE_SAVED.format(name=value.name))
            return redirect("recognition:values", org_slug=org_slug)
    context = {"form": form, "value": value, "nav": "settings"}
    return render(request, "feedback/values_edit.html", context, status=400 if form.errors else 200)


@admin_required
@require_POST
def value_archive(request: HttpRequest, org_slug: str, value_pk: int) -> HttpResponse:
    """Archive an active value, restore an archived one."""
    actor = request_actor(request)
    value = recognition.get_value(actor, value_pk)
    recognition.value_update(actor=actor, value=value, is_active=not value.is_active)
    done = VALUE_RESTORED if value.is_active else VALUE_ARCHIVED
    messages.success(request, done.format(name=value.name))
    return redirect("recognition:values", org_slug=org_slug)


@admin_required
@require_POST
def value_move(request: HttpRequest, org_slug: str, value_pk: int) -> HttpResponse:
    actor = request_actor(request)
    value = recognition.get_value(actor, value_pk)
    recognition.value_move(actor=actor, value=value, up=request.POST.get("direction") == "up")
    return redirect(reverse("recognition:values", args=[org_slug]) + f"#value-{value.pk}")

"""Pages for organisation administration. Views parse, call a service, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from core.forms import apply_service_errors
from core.htmx import page_or_partial
from core.middleware import tenant_public
from core.params import id_param, text_param
from feedback.recognition import org_summary as org_recognition
from orgs import selectors, services
from orgs.forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    InviteForm,
    MembershipForm,
    OrgSettingsForm,
    UnitDeleteForm,
    UnitForm,
    UnitRenameForm,
)
from orgs.models import Role, Unit

PEOPLE_PER_PAGE = 50
INVITATION_RESENT = "A new link was sent to {email}; the previous one no longer works."
INVITATION_REVOKED = "The invitation for {email} is withdrawn: its link no longer works."


def admin_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.membership.is_admin:
            raise PermissionDenied("Only admins of this organisation can do this.")
        return view(request, *args, **kwargs)

    return wrapper


def _posted(request: HttpRequest):
    """The POST data for a bound form (even when empty), or None for an unbound one."""
    return request.POST if request.method == "POST" else None


# --- Home and switching -----------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(selectors.memberships_of_user(user=request.user))
    if len(memberships) == 1:
        return redirect("orgs:org_home", org_slug=memberships[0].org.slug)
    return render(request, "orgs/home.html", {"memberships": memberships})


@require_GET
def org_home(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = request.membership
    reports = (
        membership.reports.filter(is_active=True).select_related("user").order_by("user__full_name")
    )
    context = {
        "reports": list(reports[:20]),
        "people_count": selectors.people(org=request.org).count(),
        "unit_count": selectors.units_of(org=request.org).count(),
        "manager": membership.manager,
        "trend": _organisation_trend(request.org),
        "recognition": org_recognition(org=request.org),
    }
    return render(request, "orgs/org_home.html", context)


def _organisation_trend(org):
    """(active cycle, chart of its objectives' mean progress per day) or None."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from goals.selectors import organisation_trend

    today = timezone.now().astimezone(ZoneInfo(org.timezone)).date()
    return organisation_trend(org_id=org.pk, today=today)


# --- Units ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def units(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = None
    if request.membership.is_admin:
        form = UnitForm(_posted(request), org=request.org)
        if request.method == "POST" and form.is_valid():
            try:
                unit = services.unit_create(org=request.org, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, f"Unit “{unit.name}” created.")
                return redirect("orgs:units", org_slug=org_slug)
    elif request.method == "POST":
        raise PermissionDenied("Only admins of this organisation can do this.")
    tree = selectors.unit_tree(org=request.org)
    status = 400 if form is not None and form.is_bound and form.errors else 200
    return render(request, "orgs/units.html", {"tree": tree, "form": form}, status=status)


@require_GET
def unit_row(request: HttpRequest, org_slug: str, unit_pk: int) -> HttpResponse:
    unit = selectors.get_unit_row(org=request.org, pk=unit_pk)
    return render(request, "orgs/units.html#unit-row", {"unit": unit})


@admin_required
@require_http_methods(["GET", "POST"])
def unit_rename(request: HttpRequest, org_slug: str, unit_pk: int) -> HttpResponse:
    unit = selectors.get_unit(org=request.org, pk=unit_pk)
    form = UnitRenameForm(_posted(request), initial={"name": unit.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(
                unit=unit, name=form.cleaned_data["name"], parent=unit.parent, lead=unit.lead
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if request.htmx:
                row = selectors.get_unit_row(org=request.org, pk=unit_pk)
                return render(request, "orgs/units.html#unit-row", {"unit": row})
            messages.success(request, "Unit renamed.")
            return redirect("orgs:units", org_slug=org_slug)
    status = 400 if form.errors else 200
    template = page_or_partial(request, "orgs/unit_rename.html", "rename-form")
    return render(request, template, {"unit": unit, "form": form}, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, org_slug: str, unit_pk: int) -> HttpResponse:
    unit = selectors.get_unit(org=request.org, pk=unit_pk)
    initial = {"name": unit.name, "parent": unit.parent_id, "lead": unit.lead_id}
    form = UnitForm(_posted(request), org=request.org, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_update(unit=unit, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Unit “{unit.name}” saved.")
            if request.htmx:
                return HttpResponseClientRedirect(reverse("orgs:units", args=[org_slug]))
            return redirect("orgs:units", org_slug=org_slug)
    status = 400 if form.errors else 200
    return render(request, "orgs/unit_edit.html", {"unit": unit, "form": form}, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def unit_delete(request: HttpRequest, org_slug: str, unit_pk: int) -> HttpResponse:
    from goals.models import Goal

    unit = selectors.get_unit(org=request.org, pk=unit_pk)
    people_count = selectors.people(org=request.org).filter(unit=unit).count()
    goal_count = Goal.objects.filter(org=request.org, unit=unit).count()
    child_count = unit.children.count()
    form = UnitDeleteForm(
        _posted(request),
        org=request.org,
        unit=unit,
        with_people=bool(people_count),
        with_goals=bool(goal_count),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_delete(
                unit=unit,
                move_people_to=form.cleaned_data.get("move_people_to"),
                move_goals_to=form.cleaned_data.get("move_goals_to"),
                actor=request.membership,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Unit “{unit.name}” deleted.")
            return redirect("orgs:units", org_slug=org_slug)
    status = 400 if form.errors else 200
    context = {
        "unit": unit,
        "form": form,
        "people_count": people_count,
        "goal_count": goal_count,
        "child_count": child_count,
    }
    return render(request, "orgs/unit_delete.html", context, status=status)


# --- People -----------------------------------------------------------------


@require_GET
def people(request: HttpRequest, org_slug: str) -> HttpResponse:
    org = request.org
    search = text_param(request, "q")
    role = request.GET.get("role", "")
    role = role if role in Role.values else ""
    status = request.GET.get("status", "active")
    status = status if status in {"active", "inactive", "all"} else "active"
    unit_menu = selectors.unit_menu(org=org)
    unit = None
    unit_id = id_param(request, "unit")
    if unit_id in dict(unit_menu):
        unit = Unit(pk=unit_id, org=org)
    qs = selectors.people(org=org, search=search, unit=unit, role=role, status=status)
    page = Paginator(qs, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "search": search,
        "role": role,
        "status": status,
        "unit_id": unit.pk if unit else None,
        "unit_choices": unit_menu,
        "roles": Role.choices,
        "query": query.urlencode(),
    }
    template = page_or_partial(request, "orgs/people.html", "results")
    return render(request, template, context)


@admin_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, org_slug: str, membership_pk: int) -> HttpResponse:
    person = selectors.get_membership(org=request.org, pk=membership_pk)
    initial = {
        "full_name": person.user.full_name,
        "title": person.title,
        "role": person.role,
        "unit": person.unit_id,
        "manager": person.manager_id,
    }
    form = MembershipForm(_posted(request), org=request.org, initial=initial)
    if person.user.full_name:
        # Names belong to the person (accounts are shared across organisations).
        form.fields["full_name"].disabled = True
        form.fields["full_name"].help_text = "Only the person can change their name."
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(membership=person, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{person.display_name} saved.")
            return redirect("orgs:people", org_slug=org_slug)
    status = 400 if form.errors else 200
    return render(request, "orgs/person_edit.html", {"person": person, "form": form}, status=status)


@admin_required
@require_POST
def person_set_active(request: HttpRequest, org_slug: str, membership_pk: int) -> HttpResponse:
    person = selectors.get_membership(org=request.org, pk=membership_pk)
    active = request.POST.get("active") == "1"
    try:
        services.membership_set_active(membership=person, active=active)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        verb = "reactivated" if active else "deactivated"
        messages.success(request, f"{person.display_name} {verb}.")
    return redirect("orgs:person_edit", org_slug=org_slug, membership_pk=person.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def person_invite(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = InviteForm(_posted(request), org=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                org=request.org, invited_by=request.membership, **form.cleaned_data
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("orgs:person_invite", org_slug=org_slug)
    status = 400 if form.errors else 200
    pending = selectors.invitations_pending(org=request.org)[:50]
    return render(
        request, "orgs/person_invite.html", {"form": form, "pending": pending}, status=status
    )


@admin_required
@require_POST
def invitation_resend(request: HttpRequest, org_slug: str, invitation_pk: int) -> HttpResponse:
    invitation = selectors.get_pending_invitation(org=request.org, pk=invitation_pk)
    services.invitation_resend(invitation=invitation)
    messages.success(request, INVITATION_RESENT.format(email=invitation.email))
    return redirect("orgs:person_invite", org_slug=org_slug)


@admin_required
@require_POST
def invitation_revoke(request: HttpRequest, org_slug: str, invitation_pk: int) -> HttpResponse:
    invitation = selectors.get_pending_invitation(org=request.org, pk=invitation_pk)
    services.invitation_revoke(invitation=invitation)
    messages.success(request, INVITATION_REVOKED.format(email=invitation.email))
    return redirect("orgs:person_invite", org_slug=org_slug)


@tenant_public
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, org_slug: str, token: str) -> HttpResponse:
    invitation = selectors.get_usable_invitation(org=request.org, raw_token=token)
    context: dict = {"invitation": invitation}
    if not invitation.is_usable:
        return render(request, "orgs/invitation_used.html", context, status=410)
    user = request.user if request.user.is_authenticated else None
    if user is not None and user.email.lower() != invitation.email:
        context["wrong_user"] = True
        return render(request, "orgs/invitation_accept.html", context, status=403)
    from orgs.models import User

    # An account that has never had a password (made by an import) chooses one here.
    existing = User.objects.filter(email__iexact=invitation.email).first() if user is None else None
    has_account = existing is not None and existing.has_usable_password()
    form = None
    if user is None and not has_account:
        form = AcceptInvitationForm(
            _posted(request), email=invitation.email, initial={"full_name": invitation.full_name}
        )
    if request.method == "POST" and (form is None or form.is_valid()) and not has_account:
        try:
            membership = services.invitation_accept(
                invitation=invitation,
                user=user,
                full_name=form.cleaned_data["full_name"] if form else "",
                password=form.cleaned_data["password1"] if form else "",
            )
        except ValidationError as error:
            if form is None:
                messages.error(request, " ".join(error.messages))
                return redirect(request.path)
            apply_service_errors(form, error)
        else:
            if user is None:
                login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {request.org.name}.")
            return redirect("orgs:org_home", org_slug=org_slug)
    context.update(form=form, has_account=has_account)
    status = 400 if form is not None and form.errors else 200
    return render(request, "orgs/invitation_accept.html", context, status=status)


# --- Settings ---------------------------------------------------------------


@admin_required
@require_http_methods(["GET", "POST"])
def org_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = OrgSettingsForm(_posted(request), instance=request.org)
    if request.method == "POST" and form.is_valid():
        services.org_update(
            org=request.org,
            name=form.cleaned_data["name"],
            timezone_name=form.cleaned_data["timezone"],
            checkin_cadence=form.cleaned_data["checkin_cadence"],
            reminder_hour=form.cleaned_data["reminder_hour"],
            cycle_reminder_days=form.cleaned_data["cycle_reminder_days"],
        )
        messages.success(request, "Settings saved.")
        return redirect("orgs:org_settings", org_slug=org_slug)
    status = 400 if form.errors else 200
    return render(request, "orgs/settings.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = ApiTokenForm(_posted(request))
    new_token = None
    if request.method == "POST" and form.is_valid():
        _, new_token = services.api_token_create(
            membership=request.membership, name=form.cleaned_data["name"]
        )
        form = ApiTokenForm()
    tokens = request.membership.api_tokens.all()
    status = 400 if form.errors else 200
    context = {"form": form, "tokens": tokens, "new_token": new_token}
    return render(request, "orgs/api_tokens.html", context, status=status)


@require_POST
def api_token_revoke(request: HttpRequest, org_slug: str, token_pk: int) -> HttpResponse:
    token = selectors.get_api_token(membership=request.membership, pk=token_pk)
    services.api_token_revoke(token=token)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("orgs:api_tokens", org_slug=org_slug)


# --- Operations -------------------------------------------------------------


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker status: 200 when both answer, 503 otherwise."""
    checks = {"database": "ok", "broker": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        from config.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # noqa: BLE001
        checks["broker"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )

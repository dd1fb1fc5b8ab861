"""A person's own profile, and the people search behind the manager picker."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.params import text_param
from orgs import selectors, services
from orgs.models import Membership

PEOPLE_SEARCH_LIMIT = 20
PASSWORD_CHANGED = "Your password is changed. Your other signed-in devices are signed out."


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        max_length=200,
        label="Full name",
        error_messages={"required": services.NAME_REQUIRED},
        help_text="Your name in every organisation you belong to.",
    )


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest, org_slug: str) -> HttpResponse:
    # Only ever the signed-in person's own account: nothing posted picks the user.
    user = request.user
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, initial={"full_name": user.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            services.user_rename(user=user, full_name=form.cleaned_data["full_name"])
        except ValidationError as error:
            form.add_error(None, error)  # keyed by field
        else:
            messages.success(request, "Your name is saved.")
            return redirect("orgs:profile", org_slug=org_slug)
    return _profile_page(request, form=form, password_form=PasswordChangeForm(user))


@require_POST
def password_change(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The signed-in person changes their own password; this session stays signed in."""
    user = request.user
    password_form = PasswordChangeForm(user, request.POST)
    if password_form.is_valid():
        password_form.save()
        # Other sessions end (their hash no longer matches); this one is kept.
        update_session_auth_hash(request, password_form.user)
        messages.success(request, PASSWORD_CHANGED)
        return redirect("orgs:profile", org_slug=org_slug)
    form = ProfileForm(initial={"full_name": user.full_name})
    return _profile_page(request, form=form, password_form=password_form)


def _profile_page(request: HttpRequest, *, form: ProfileForm, password_form) -> HttpResponse:
    status = 400 if form.errors or password_form.errors else 200
    context = {
        "form": form,
        "password_form": password_form,
        "person": request.membership,
        "nav": "profile",
    }
    return render(request, "orgs/profile.html", context, status=status)


def _person_option(person: Membership) -> str:
    email = person.user.email
    label = f"{person.user.full_name} ({email})" if person.user.full_name else email
    if person.title:
        label = f"{label} · {person.title}"
    return format_html('<option value="{}">{}</option>', email, label)


@require_GET
def people_search(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Up to 20 active people whose name or email matches ``q``, as <option>s for a datalist."""
    # htmx sends a picker input's own value under its name, "manager".
    search = text_param(request, "q") or text_param(request, "manager")
    if not search:
        return HttpResponse("")
    found = selectors.colleagues_matching(org=request.org, search=search)[:PEOPLE_SEARCH_LIMIT]
    return HttpResponse(format_html_join("\n", "{}", ((_person_option(p),) for p in found)))

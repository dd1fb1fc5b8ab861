"""Cycles: everyone sees the list; admins create and edit them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from core.forms import apply_service_errors
from goals import services
from goals.access import request_actor
from goals.forms import CycleForm
from goals.models import Cycle

ADMINS_ONLY = "Only admins of this organisation can create or change cycles."


def _save(request: HttpRequest, form: CycleForm, cycle: Cycle | None) -> Cycle | None:
    """Save through services.cycle_save; None (with errors on the form) when refused."""
    if not form.is_valid():
        return None
    try:
        return services.cycle_save(actor=request_actor(request), cycle=cycle, **form.cleaned_data)
    except ValidationError as error:
        apply_service_errors(form, error)
        return None


@require_http_methods(["GET", "POST"])
def cycles(request: HttpRequest, org_slug: str) -> HttpResponse:
    is_admin = request.membership.is_admin
    if request.method == "POST" and not is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    form = None
    if is_admin:
        form = CycleForm(request.POST if request.method == "POST" else None)
        if request.method == "POST":
            cycle = _save(request, form, None)
            if cycle is not None:
                messages.success(request, f"Cycle “{cycle.name}” created.")
                return redirect("goals:cycles", org_slug=org_slug)
    rows = (
        Cycle.objects.filter(org=request.org)
        .annotate(goal_count=Count("goals"))
        .order_by("-start", "name")
    )
    status = 400 if form is not None and form.errors else 200
    return render(request, "goals/cycles.html", {"cycles": rows, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
def cycle_edit(request: HttpRequest, org_slug: str, cycle_pk: int) -> HttpResponse:
    if not request.membership.is_admin:
        raise PermissionDenied(ADMINS_ONLY)
    cycle = get_object_or_404(Cycle, org=request.org, pk=cycle_pk)
    initial = {"name": cycle.name, "start": cycle.start, "end": cycle.end, "status": cycle.status}
    form = CycleForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and _save(request, form, cycle) is not None:
        messages.success(request, f"Cycle “{cycle.name}” saved.")
        return redirect("goals:cycles", org_slug=org_slug)
    status = 400 if form.errors else 200
    return render(request, "goals/cycle_form.html", {"cycle": cycle, "form": form}, status=status)

"""The inbox and the notification settings page: the signed-in person's own only."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications import selectors, services
from notifications.models import PERSONAL_KINDS

PER_PAGE = 20
SETTINGS_SAVED = "Your notification settings are saved."


@require_GET
def notifications(request: HttpRequest, org_slug: str) -> HttpResponse:
    qs = selectors.inbox(membership=request.membership)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/notifications.html", {"page": page})


@require_POST
def mark_read(request: HttpRequest, org_slug: str, notification_pk: int) -> HttpResponse:
    notification = selectors.get_notification(membership=request.membership, pk=notification_pk)
    services.notification_mark_read(notification=notification)
    if not request.htmx:
        return redirect("notifications:notifications", org_slug=org_slug)
    unread = selectors.inbox(membership=request.membership).filter(read_at__isnull=True).count()
    context = {"notification": notification, "notifications_unread": unread, "oob": True}
    return render(request, "notifications/_row.html", context)


@require_POST
def mark_all_read(request: HttpRequest, org_slug: str) -> HttpResponse:
    count = services.notifications_mark_all_read(membership=request.membership)
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notifications:notifications", org_slug=org_slug)


@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = request.membership
    if request.method == "POST":
        services.settings_save(
            membership=membership,
            email_off=[k for k in PERSONAL_KINDS if f"email_{k}" not in request.POST],
            in_app_off=[k for k in PERSONAL_KINDS if f"in_app_{k}" not in request.POST],
            weekly_digest=request.POST.get("delivery") == "weekly",
        )
        messages.success(request, SETTINGS_SAVED)
        return redirect("notifications:notification_settings", org_slug=org_slug)
    prefs = services.settings_for(membership=membership)
    rows = [
        {
            "kind": kind,
            "label": kind.label,
            "email": prefs.wants_email(kind),
            "in_app": prefs.wants_in_app(kind),
        }
        for kind in PERSONAL_KINDS
    ]
    context = {"rows": rows, "weekly_digest": prefs.weekly_digest}
    return render(request, "notifications/settings.html", context)

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core import nav


def _user_memberships(request: HttpRequest) -> list:
    """The user's memberships, read once a request (one query): the organisation switcher,
    annotated with the header's facts the apps registered (``nav.add_membership_fact``):
    whether the person leads anyone, their unread notifications."""
    memberships = getattr(request, "_user_memberships", None)
    if memberships is None:
        from orgs.selectors import memberships_of_user

        memberships = list(
            memberships_of_user(user=request.user).annotate(**nav.membership_facts())
        )
        request._user_memberships = memberships
    return memberships


def current_membership(request: HttpRequest):
    """The switcher's row for this organisation's membership (with the header's facts)."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return None
    return next((m for m in _user_memberships(request) if m.pk == membership.pk), membership)


def _menu(request: HttpRequest, org) -> list[nav.NavLink]:
    return nav.menu(current_membership(request), org.slug)


def tenant(request: HttpRequest) -> dict:
    match = getattr(request, "resolver_match", None)
    org = getattr(request, "org", None)
    context = {
        "org": org,
        "membership": getattr(request, "membership", None),
        "nav": nav.section((match.url_name or "") if match else ""),
    }
    if org is not None and request.user.is_authenticated:
        context["menu"] = SimpleLazyObject(lambda: _menu(request, org))
    return context


def switcher(request: HttpRequest) -> dict:
    """The organisations the user may switch to (read lazily, one query)."""
    if not request.user.is_authenticated:
        return {}
    return {"user_memberships": SimpleLazyObject(lambda: _user_memberships(request))}

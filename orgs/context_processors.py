from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from core import nav


def _user_memberships(request: HttpRequest) -> list:
    """The user's memberships, read once a request (one query): the organisation switcher,
    and for the menu whether the person leads anyone."""
    memberships = getattr(request, "_user_memberships", None)
    if memberships is None:
        from orgs.selectors import leads_people, memberships_of_user

        memberships = list(
            memberships_of_user(user=request.user).annotate(leads_people=leads_people())
        )
        request._user_memberships = memberships
    return memberships


def _menu(request: HttpRequest, org) -> list[nav.NavLink]:
    membership = getattr(request, "membership", None)
    if membership is not None:
        # The same membership as the switcher's row, which knows whether they lead anyone.
        membership = next(
            (m for m in _user_memberships(request) if m.pk == membership.pk), membership
        )
    return nav.menu(membership, org.slug)


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

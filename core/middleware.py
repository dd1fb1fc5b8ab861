"""Resolve the organisation and the caller's membership once per request.

For every URL with an ``org_slug`` the whole response, template rendering
included, runs in one transaction with the organisation set for PostgreSQL
row-level security. No membership (or an unknown slug) is a 404: the same
answer whether the organisation exists or not.

Who the caller is comes before: the session (AuthenticationMiddleware) or, on
the API, an organisation's token (core.authentication.ApiTokenMiddleware, which
has then opened the transaction this one joins).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

from core.authentication import API_PREFIX, api_not_found, rollback_on_server_error, unauthorized
from core.tenancy import set_current_org, set_current_user, user_context
from orgs.models import Membership, Organization


def tenant_public(view):
    """Mark an org-scoped view that people outside the organisation may open (invitations)."""
    view.tenant_public = True
    return view


def _not_found(is_api: bool) -> HttpResponse:
    """The one answer for an organisation that is missing or not the caller's."""
    if is_api:
        return api_not_found()
    raise Http404("No such organisation")


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.org = None
        request.membership = None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        slug = match.kwargs.get("org_slug")
        if slug is None:
            if request.user.is_authenticated:
                with user_context(request.user.pk):
                    return self._respond(request)
            return self.get_response(request)

        is_api = request.path_info.startswith(API_PREFIX)
        public = getattr(match.func, "tenant_public", False)
        # A token's request is already in the transaction its lookup opened: join it.
        by_token = getattr(request, "api_token", None) is not None
        with transaction.atomic(savepoint=not by_token):
            if by_token:
                org = request.tenant_org
            else:
                org = Organization.objects.filter(slug=slug).first()
            if not request.user.is_authenticated and not public:
                if is_api:
                    return unauthorized()
                return redirect_to_login(request.get_full_path())
            if org is None:
                return _not_found(is_api)
            set_current_org(org.pk)
            if request.user.is_authenticated:
                set_current_user(request.user.pk)
                request.membership = (
                    Membership.objects.select_related("user", "unit", "manager__user")
                    .filter(org=org, user=request.user, is_active=True)
                    .first()
                )
            if request.membership is None and not public:
                return _not_found(is_api)
            request.org = org
            return self._respond(request)

    def _respond(self, request: HttpRequest) -> HttpResponse:
        return rollback_on_server_error(self.get_response(request))

"""Resolve the organisation and the caller's membership once per request.

For every URL with an ``org_slug`` the whole response, template rendering
included, runs in one transaction with the organisation set for PostgreSQL
row-level security. No membership (or an unknown slug) is a 404: the same
answer whether the organisation exists or not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from core.tenancy import set_current_org, set_current_user, user_context
from orgs.models import ApiToken, Membership, Organization

API_PREFIX = "/api/"


def tenant_public(view):
    """Mark an org-scoped view that people outside the organisation may open (invitations)."""
    view.tenant_public = True
    return view


def _bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in {"bearer", "token"} and value.strip():
        return value.strip()
    return None


def _unauthorized() -> JsonResponse:
    response = JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def _not_found(is_api: bool) -> HttpResponse:
    """The one answer for an organisation that is missing or not the caller's."""
    if is_api:
        return JsonResponse({"detail": "Not found."}, status=404)
    raise Http404("No such organisation")


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.org = None
        request.membership = None
        request.api_token = None
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
        with transaction.atomic():
            org = Organization.objects.filter(slug=slug).first()
            raw_token = _bearer_token(request) if is_api else None
            if raw_token is not None:
                if org is None:
                    return _not_found(is_api)
                token = self._token(org, raw_token)
                if token is None:
                    # A token of another organisation (or none at all) learns nothing
                    # about this one: the same 404 as any foreign organisation.
                    if not self._issued_here(org, raw_token):
                        return _not_found(is_api)
                    return _unauthorized()
                request.user = token.membership.user
                request.api_token = token
                request._dont_enforce_csrf_checks = True
            if not request.user.is_authenticated and not public:
                if is_api:
                    return _unauthorized()
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
        response = self.get_response(request)
        if response.status_code >= 500:
            transaction.set_rollback(True)
        return response

    @staticmethod
    def _issued_here(org: Organization, raw: str) -> bool:
        """Whether this organisation ever issued the token (revoked or not)."""
        return ApiToken.objects.filter(org=org, token_hash=ApiToken.hash(raw)).exists()

    @staticmethod
    def _token(org: Organization, raw: str) -> ApiToken | None:
        set_current_org(org.pk)
        token = (
            ApiToken.objects.select_related("membership__user")
            .filter(
                org=org,
                token_hash=ApiToken.hash(raw),
                revoked_at__isnull=True,
                membership__is_active=True,
                membership__user__is_active=True,
            )
            .first()
        )
        if token is not None:
            now = timezone.now()
            if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token

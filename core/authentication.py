"""API-token authentication: who an ``Authorization: Bearer cairn_…`` header is.

A token is bound to one organisation and counts only on that organisation's API
URLs (``/api/…/<org_slug>/…``); HTML pages ignore it. ``ApiTokenMiddleware``
runs just before TenantMiddleware:

- a token for an unknown organisation, or one this organisation never issued,
  is the same JSON 404 as any foreign organisation: the caller learns nothing;
- a token it issued that is revoked, or whose member or user is deactivated,
  is a 401 with ``WWW-Authenticate``;
- a valid token makes its member the request's user (no CSRF: no cookie is
  involved) and records its use at most every five minutes.

The lookup needs the organisation set for row-level security, so the middleware
opens the request's transaction and TenantMiddleware joins it: the whole
response is still one transaction, rolled back on a 5xx.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication

from core.tenancy import set_current_org
from orgs.models import ApiToken, Organization

API_PREFIX = "/api/"
USE_RECORDED_EVERY = timedelta(minutes=5)


def bearer_token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in {"bearer", "token"} and value.strip():
        return value.strip()
    return None


def unauthorized() -> JsonResponse:
    response = JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def api_not_found() -> JsonResponse:
    """The one API answer for an organisation that is missing or not the caller's."""
    return JsonResponse({"detail": "Not found."}, status=404)


def rollback_on_server_error(response: HttpResponse) -> HttpResponse:
    """Only a 5xx undoes the request's writes."""
    if response.status_code >= 500:
        transaction.set_rollback(True)
    return response


class ApiTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.api_token = None
        raw = bearer_token(request) if request.path_info.startswith(API_PREFIX) else None
        if raw is None:
            return self.get_response(request)
        try:
            slug = resolve(request.path_info).kwargs.get("org_slug")
        except Resolver404:
            slug = None
        if slug is None:
            return self.get_response(request)
        with transaction.atomic():
            org = Organization.objects.filter(slug=slug).first()
            if org is None:
                return api_not_found()
            token = self._token(org, raw)
            if token is None:
                if not self._issued_here(org, raw):
                    return api_not_found()
                return unauthorized()
            request.user = token.membership.user
            request.api_token = token
            request.tenant_org = org  # TenantMiddleware need not look it up again
            request._dont_enforce_csrf_checks = True
            return rollback_on_server_error(self.get_response(request))

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
            if token.last_used_at is None or now - token.last_used_at > USE_RECORDED_EVERY:
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token


class OrgTokenAuthentication(BaseAuthentication):
    """DRF's view of the token ApiTokenMiddleware resolved: a token valid for one
    organisation only."""

    def authenticate(self, request):
        token = getattr(request._request, "api_token", None)
        if token is None:
            return None
        return (token.membership.user, token)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class OrgTokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.authentication.OrgTokenAuthentication"
    name = "orgToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An organisation API token"}

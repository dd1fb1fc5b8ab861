"""DRF authentication for organisation-bound API tokens (resolved by TenantMiddleware)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication


class OrgTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer cairn_…``: a token valid for one organisation only."""

    def authenticate(self, request):
        token = getattr(request._request, "api_token", None)
        if token is None:
            return None
        return (token.membership.user, token)

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class OrgTokenScheme(OpenApiAuthenticationExtension):
    target_class = "orgs.api_auth.OrgTokenAuthentication"
    name = "orgToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An organisation API token"}

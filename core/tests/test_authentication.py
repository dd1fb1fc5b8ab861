"""ApiTokenMiddleware and TenantMiddleware together: a token's request is one
transaction (the token's use included) that only a 5xx rolls back; HTML pages
ignore tokens."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from core.authentication import ApiTokenMiddleware
from core.middleware import TenantMiddleware
from core.tenancy import tenant_context
from orgs import services
from orgs.models import ApiToken, Unit


def token_for(membership) -> tuple[ApiToken, str]:
    with tenant_context(membership.org_id):
        return services.api_token_create(membership=membership, name="script")


def state(cast, token: ApiToken) -> tuple[str, bool]:
    with tenant_context(cast.org.pk):
        name = Unit.objects.get(pk=cast.platform.pk).name
        used = ApiToken.objects.get(pk=token.pk).last_used_at is not None
    return name, used


@pytest.mark.parametrize("status, kept", [(200, True), (400, True), (500, False)])
def test_a_token_request_is_one_transaction_rolled_back_only_on_a_server_error(cast, status, kept):
    token, raw = token_for(cast.admin)

    def view_that_writes(request):
        assert request.user == cast.admin.user
        assert request.membership == cast.admin
        Unit.objects.filter(org=request.org, pk=cast.platform.pk).update(name="Renamed")
        return HttpResponse(status=status)

    request = RequestFactory().post(
        f"/api/v1/orgs/{cast.org.slug}/units/", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    request.user = AnonymousUser()
    response = ApiTokenMiddleware(TenantMiddleware(view_that_writes))(request)
    assert response.status_code == status
    assert state(cast, token) == (("Renamed", True) if kept else ("Platform", False))


def test_a_token_on_an_html_page_is_not_looked_at(cast):
    token, raw = token_for(cast.admin)
    seen = []

    def view(request):
        seen.append((request.user, request.api_token))
        return HttpResponse()

    request = RequestFactory().get(f"/o/{cast.org.slug}/units/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    request.user = AnonymousUser()
    ApiTokenMiddleware(view)(request)
    assert seen == [(request.user, None)]
    assert not request.user.is_authenticated
    assert state(cast, token) == ("Platform", False)

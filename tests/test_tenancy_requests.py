"""How a request meets tenancy: which credentials count where, unknown organisations,
which responses roll back their writes, CSRF on session API calls, and the
transaction-local organisation setting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client, RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from core.middleware import TenantMiddleware
from core.tenancy import set_current_org, set_current_user, tenant_context
from orgs import services
from orgs.models import ApiToken, Membership, Unit, User

BACKEND = "django.contrib.auth.backends.ModelBackend"


def token_for(membership: Membership) -> str:
    with tenant_context(membership.org_id):
        _, raw = services.api_token_create(membership=membership, name="script")
    return raw


def unit_name(org, pk: int) -> str:
    with tenant_context(org.pk):
        return Unit.objects.get(pk=pk).name


# --- Credentials ---------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Bearer", "Token"])
def test_a_bearer_token_does_not_open_an_html_page(cast, scheme):
    raw = token_for(cast.admin)
    # The same token opens the API ...
    api = APIClient(HTTP_AUTHORIZATION=f"{scheme} {raw}").get(f"/api/v1/orgs/{cast.org.slug}/")
    assert api.status_code == 200
    # ... but a page with only the header is a login redirect, not the page.
    response = Client(HTTP_AUTHORIZATION=f"{scheme} {raw}").get(f"/o/{cast.org.slug}/units/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert f"next=/o/{cast.org.slug}/units/" in response["Location"]


def test_the_token_of_a_deactivated_user_is_refused(cast):
    raw = token_for(cast.member)
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(f"/api/v1/orgs/{cast.org.slug}/").status_code == 200
    User.objects.filter(pk=cast.member.user_id).update(is_active=False)
    response = client.get(f"/api/v1/orgs/{cast.org.slug}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "path,is_api",
    [
        ("/o/no-such-org/", False),
        ("/o/no-such-org/units/", False),
        ("/api/v1/orgs/no-such-org/", True),
    ],
)
def test_an_unknown_organisation_is_a_404_for_a_signed_in_user(cast, path, is_api):
    client = APIClient()
    client.force_login(cast.admin.user, backend=BACKEND)
    response = client.get(path)
    assert response.status_code == 404
    if is_api:
        assert response.json() == {"detail": "Not found."}


# --- Which responses keep their writes -------------------------------------------


@pytest.mark.parametrize(
    "status,kept",
    [
        (200, True),
        (201, True),
        (302, True),
        (400, True),
        (403, True),
        (404, True),
        (499, True),
        (500, False),
        (502, False),
        (503, False),
    ],
)
def test_only_a_server_error_rolls_back_the_requests_writes(cast, status, kept):
    """TenantMiddleware runs an organisation's request in one transaction and rolls it
    back only for a 5xx answer: a refused form (4xx) keeps what the view chose to write."""

    def view_that_writes(request):
        Unit.objects.filter(org=request.org, pk=cast.platform.pk).update(name="Renamed")
        return HttpResponse(status=status)

    request = RequestFactory().post(f"/o/{cast.org.slug}/units/")
    request.user = cast.admin.user
    response = TenantMiddleware(view_that_writes)(request)
    assert response.status_code == status
    assert unit_name(cast.org, cast.platform.pk) == ("Renamed" if kept else "Platform")


# --- CSRF on session API calls ------------------------------------------------------


def test_a_session_api_write_needs_the_csrf_token_and_succeeds_with_it(cast):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.admin.user, backend=BACKEND)
    units = f"/api/v1/orgs/{cast.org.slug}/units/"
    refused = client.post(units, {"name": "Sales"}, format="json")
    assert refused.status_code == 403
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    created = client.post(units, {"name": "Sales"}, format="json", HTTP_X_CSRFTOKEN=secret)
    assert created.status_code == 201
    with tenant_context(cast.org.pk):
        assert Unit.objects.filter(org=cast.org, name="Sales").count() == 1


def test_a_bearer_token_write_needs_no_csrf_token(cast):
    client = APIClient(
        enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token_for(cast.admin)}"
    )
    response = client.post(f"/api/v1/orgs/{cast.org.slug}/units/", {"name": "Sales"}, format="json")
    assert response.status_code == 201


# --- The transaction-local organisation (PostgreSQL) ----------------------------------


def current_org_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.current_org', true)")
        return cursor.fetchone()[0] or ""


def unit_names() -> set[str]:
    return set(Unit.objects.values_list("name", flat=True))


@pytest.mark.postgres
def test_a_nested_tenant_context_restores_the_outer_organisation(cast):
    before = current_org_setting()
    with tenant_context(cast.org.pk):
        assert current_org_setting() == str(cast.org.pk)
        with tenant_context(cast.other_org.pk):
            assert current_org_setting() == str(cast.other_org.pk)
            assert unit_names() == {"Globex", "Engineering", "Platform"}
        assert current_org_setting() == str(cast.org.pk)
        assert unit_names() == {"Acme", "Engineering", "Platform"}
        with tenant_context(None):
            assert current_org_setting() == ""
            assert unit_names() == set()
        assert current_org_setting() == str(cast.org.pk)
    assert current_org_setting() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("setter", [set_current_org, set_current_user])
def test_setting_the_organisation_outside_a_transaction_raises(setter):
    assert not connection.in_atomic_block
    with pytest.raises(RuntimeError, match="transaction-local: open a transaction first"):
        setter(1)
    assert current_org_setting() == ""


# --- Which Authorization headers are API tokens ------------------------------------


@pytest.mark.parametrize("header", ["Basic YWRtaW46c2VjcmV0", "Digest abc", "Bearer ", "Token   "])
def test_an_authorization_header_that_is_not_a_token_is_no_token(cast, header):
    org_url = f"/api/v1/orgs/{cast.org.slug}/"
    # Alone it is no credential at all: a 401 asking for a bearer token, not a 404.
    response = APIClient(HTTP_AUTHORIZATION=header).get(org_url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    # Beside a session it changes nothing: the signed-in person gets their answer.
    client = APIClient(HTTP_AUTHORIZATION=header)
    client.force_login(cast.admin.user, backend=BACKEND)
    assert client.get(org_url).status_code == 200


# --- "Last used" on the API tokens page ------------------------------------------


def test_last_used_is_recorded_at_most_every_five_minutes(cast):
    with tenant_context(cast.org.pk):
        token, raw = services.api_token_create(membership=cast.admin, name="script")
    assert token.last_used_at is None
    client = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw}")
    org_url = f"/api/v1/orgs/{cast.org.slug}/"

    def last_used():
        with tenant_context(cast.org.pk):
            return ApiToken.objects.get(pk=token.pk).last_used_at

    def used_ago(delta):
        with tenant_context(cast.org.pk):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - delta)
        return last_used()

    before = timezone.now()
    assert client.get(org_url).status_code == 200
    first = last_used()
    assert first is not None and first >= before  # the first use is recorded
    assert client.get(org_url).status_code == 200
    assert last_used() == first  # a second later: not written again
    recent = used_ago(timedelta(minutes=4, seconds=30))
    assert client.get(org_url).status_code == 200
    assert last_used() == recent  # under five minutes: kept
    old = used_ago(timedelta(minutes=5, seconds=30))
    assert client.get(org_url).status_code == 200
    assert last_used() > old  # over five minutes: moved to now
    assert last_used() >= before

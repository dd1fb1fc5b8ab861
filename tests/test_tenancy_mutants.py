"""Tenancy rules pinned by mutation testing on PostgreSQL (issue 7, part 0): a block whose
transaction is marked for rollback leaves its tenant context quietly, keeping nothing."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from core.middleware import TenantMiddleware
from core.tenancy import tenant_context
from orgs.models import Unit

pytestmark = pytest.mark.postgres


def org_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.current_org', true)")
        return cursor.fetchone()[0] or ""


def platform_name(cast) -> str:
    with tenant_context(cast.org.pk):
        return Unit.objects.get(pk=cast.platform.pk).name


def test_a_tenant_block_marked_for_rollback_ends_quietly_and_keeps_nothing(cast):
    with tenant_context(cast.org.pk):
        with tenant_context(cast.org.pk):
            Unit.objects.filter(pk=cast.platform.pk).update(name="Renamed")
            transaction.set_rollback(True)
        # The inner block's write is gone, and the outer organisation still applies.
        assert org_setting() == str(cast.org.pk)
        assert Unit.objects.get(pk=cast.platform.pk).name == "Platform"
    assert platform_name(cast) == "Platform"


def test_a_server_error_on_a_page_outside_any_organisation_is_answered(cast):
    """The signed-in home page runs in a user context; a 5xx there rolls back and is still
    answered as a 500, not turned into a second error while restoring the context."""

    def failing_home(request):
        with tenant_context(cast.org.pk):
            Unit.objects.filter(pk=cast.platform.pk).update(name="Renamed")
        return HttpResponse(status=500)

    request = RequestFactory().get("/")
    request.user = cast.admin.user
    response = TenantMiddleware(failing_home)(request)
    assert response.status_code == 500
    assert platform_name(cast) == "Platform"

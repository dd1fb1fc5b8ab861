"""Row-level security is the second barrier: proven on PostgreSQL, as the app role."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from core.tenancy import set_current_org, set_current_user, tenant_context
from orgs.models import Unit

pytestmark = pytest.mark.postgres


def tenant_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if any(field.name == "org" and field.is_relation for field in model._meta.fields)
    )


def count_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        return cursor.fetchone()[0]


def test_it_connects_as_a_role_that_owns_nothing_and_cannot_bypass_rls(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tableowner = current_user"
        )
        assert cursor.fetchone()[0] == 0


def fill_every_tenant_table(cast) -> None:
    """At least one row in every tenant table, so an empty result can only mean RLS."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from goals import services as goal_services
    from goals.access import Actor
    from goals.models import Cycle, GoalStatus, Level
    from notifications.models import NotificationSettings
    from orgs.services import api_token_create, invitation_create

    today = timezone.localdate()
    with tenant_context(cast.org.pk):
        api_token_create(membership=cast.member, name="script")
        NotificationSettings.objects.create(org=cast.org, membership=cast.member)
        invitation_create(org=cast.org, invited_by=cast.admin, email="new@acme.test")
        cycle = Cycle.objects.create(
            org=cast.org, name="Q", start=today - timedelta(days=5), end=today + timedelta(days=60)
        )
        goal = goal_services.goal_create(
            actor=Actor(cast.admin),
            cycle=cycle,
            level=Level.ORGANISATION,
            title="Grow revenue",
            status=GoalStatus.APPROVED,
            key_results=[
                {"title": "Revenue", "start_value": Decimal(0), "target_value": Decimal(10)},
                {"title": "Launches", "kind": "milestones", "milestones": ["Beta"]},
            ],
        )
        goal_services.checkin_create(
            actor=Actor(cast.admin), key_result=goal.key_results.first(), value=Decimal(4)
        )
        fill_kpi_and_job_tables(cast, goal, today)


def fill_kpi_and_job_tables(cast, goal, today) -> None:
    """KPIs, their measurements and roll-ups, snapshots, idempotent API answers, job runs."""
    from decimal import Decimal

    from django.utils import timezone

    from core.models import JobRun
    from goals.models import ProgressSnapshot
    from kpis.models import GoalKpi, IdempotentRequest, Kpi, KpiSnapshot, Measurement, PeriodValue

    kpi = Kpi.objects.create(
        org=cast.org,
        owner=cast.admin,
        name="Uptime",
        target=Decimal(99),
        amber_threshold=Decimal(98),
        red_threshold=Decimal(95),
    )
    GoalKpi.objects.create(org=cast.org, kpi=kpi, goal=goal)
    Measurement.objects.create(org=cast.org, kpi=kpi, value=Decimal(99), measured_at=timezone.now())
    PeriodValue.objects.create(
        org=cast.org, kpi=kpi, granularity="week", period_start=today, value=Decimal(99)
    )
    KpiSnapshot.objects.create(org=cast.org, kpi=kpi, day=today, value=Decimal(99))
    ProgressSnapshot.objects.create(org=cast.org, goal=goal, day=today, progress=0.4)
    IdempotentRequest.objects.create(
        org=cast.org,
        key="k",
        membership=cast.admin,
        path="/",
        request_hash="h",
        status_code=201,
        response={},
    )
    JobRun.objects.create(org=cast.org, job="kpi_rollup", period="2026-12-07T06")
    fill_feedback_tables(cast, goal)


def fill_feedback_tables(cast, goal) -> None:
    from feedback.models import Feedback, FeedbackRequest, FeedbackRevision

    request = FeedbackRequest.objects.create(
        org=cast.org, requester=cast.member, about=cast.member, asked=cast.member2, goal=goal
    )
    feedback = Feedback.objects.create(
        org=cast.org, giver=cast.member2, recipient=cast.member, body="Good", request=request
    )
    FeedbackRevision.objects.create(org=cast.org, feedback=feedback, body="Goood")
    fill_conversation_and_recognition_tables(cast, goal)


def fill_conversation_and_recognition_tables(cast, goal) -> None:
    from feedback.models import (
        Comment,
        CommentRevision,
        CompanyValue,
        Mention,
        Reaction,
        Recognition,
        RecognitionGoal,
        RecognitionRecipient,
    )

    comment = Comment.objects.create(org=cast.org, author=cast.member, goal=goal, body="Hi @Bea")
    CommentRevision.objects.create(org=cast.org, comment=comment, body="Hi")
    Mention.objects.create(org=cast.org, comment=comment, person=cast.member2)
    value = CompanyValue.objects.create(org=cast.org, name="Customers first")
    kudos = Recognition.objects.create(
        org=cast.org, giver=cast.member, message="Great launch", value=value
    )
    RecognitionRecipient.objects.create(org=cast.org, recognition=kudos, person=cast.member2)
    RecognitionGoal.objects.create(org=cast.org, recognition=kudos, goal=goal)
    Reaction.objects.create(org=cast.org, recognition=kudos, person=cast.admin, emoji="clap")


def test_it_shows_no_tenant_row_when_no_org_is_set(cast):
    fill_every_tenant_table(cast)
    tables = tenant_tables()
    assert {"orgs_unit", "orgs_membership", "orgs_invitation", "orgs_apitoken"} <= set(tables)
    with transaction.atomic():
        set_current_org(cast.org.pk)
        # With the org set the rows are there, so an empty result below means RLS.
        assert all(count_rows(table) > 0 for table in tables)
        set_current_org(None)
        set_current_user(None)
        assert {table: count_rows(table) for table in tables} == dict.fromkeys(tables, 0)


def test_it_shows_only_the_current_orgs_rows(cast):
    with tenant_context(cast.other_org.pk):
        names = set(Unit.objects.values_list("name", flat=True))
    assert names == {"Globex", "Engineering", "Platform"}
    with tenant_context(cast.other_org.pk):
        # Even an explicit filter on the other org finds nothing.
        assert not Unit.objects.filter(org=cast.org).exists()


def test_it_refuses_to_write_a_row_of_another_org(cast):
    with pytest.raises(DatabaseError, match="row-level security"):
        with tenant_context(cast.org.pk):
            Unit.objects.create(org=cast.other_org, name="Smuggled")
    with tenant_context(cast.org.pk):
        moved = Unit.objects.filter(pk=cast.other_unit.pk).update(name="Hijacked")
    assert moved == 0
    with tenant_context(cast.other_org.pk):
        assert Unit.objects.get(pk=cast.other_unit.pk).name == "Engineering"


def test_it_refuses_to_move_a_row_into_another_org(cast):
    with pytest.raises(DatabaseError, match="row-level security"):
        with tenant_context(cast.org.pk):
            Unit.objects.filter(pk=cast.platform.pk).update(org=cast.other_org)


@pytest.mark.django_db(transaction=True)
def test_it_does_not_carry_the_org_into_the_next_request_on_a_reused_connection(cast, client):
    client.force_login(cast.member.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("orgs:units", args=[cast.org.slug]))
    assert response.status_code == 200
    assert b"Platform" in response.content
    # Same thread, same connection, now outside the request's transaction.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.current_org', true)")
        assert cursor.fetchone()[0] in (None, "")
    assert count_rows("orgs_unit") == 0
    # The next request, for the other organisation's member, sees only its own units.
    client.force_login(cast.other_member.user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("orgs:units", args=[cast.other_org.slug]))
    assert b"Globex" in response.content and b"Acme" not in response.content


def test_every_table_with_an_org_column_has_rls_enabled_forced_and_a_policy(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid
                      AND pg_get_expr(p.polqual, p.polrelid) LIKE '%app.current_org%'
                      AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%app.current_org%')
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r'
              AND EXISTS (SELECT 1 FROM information_schema.columns col
                          WHERE col.table_schema = 'public' AND col.table_name = c.relname
                            AND col.column_name = 'org_id')
            ORDER BY c.relname
            """
        )
        rows = cursor.fetchall()
    assert len(rows) >= 4
    unprotected = [
        name for name, enabled, forced, policies in rows if not (enabled and forced and policies)
    ]
    assert unprotected == []

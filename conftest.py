"""Shared test set-up: the cast (two organisations) and the database role switch."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.conf import settings

from core.tenancy import tenant_context
from orgs.models import Membership, Organization, Role, Unit
from tests.factories import MembershipFactory, OrganizationFactory, UnitFactory

PASSWORD = "correct-horse-battery"


def _is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests are left out on SQLite; CI demands PostgreSQL."""
    if _is_postgres():
        return
    if os.environ.get("CAIRN_REQUIRE_POSTGRES"):
        raise pytest.UsageError("CAIRN_REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL")
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    deselected = [item for item in items if item.get_closest_marker("postgres") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return f"cairn: database {db['ENGINE'].rsplit('.', 1)[-1]}, broker {settings.CELERY_BROKER_URL}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Migrate as the owner role, then run every test as the application role.

    The application role owns no table and has no BYPASSRLS, so PostgreSQL's
    row-level security applies to everything the tests do, as in production.
    """
    from django.db import connections

    role = settings.DATABASE_APP_ROLE
    if not (_is_postgres() and role):
        yield
        return
    for conn in connections.all():
        conn.close()
        conn.settings_dict["OPTIONS"]["assume_role"] = role
    yield
    for conn in connections.all():
        conn.close()
        conn.settings_dict["OPTIONS"].pop("assume_role", None)


@dataclass
class Cast:
    """alice (admin), mallory (manager) and bob, carol (members) in Acme; the same
    roles in Globex, where nobody from Acme may see anything."""

    org: Organization
    company: Unit
    engineering: Unit
    platform: Unit
    admin: Membership
    manager: Membership
    member: Membership
    member2: Membership
    other_org: Organization
    other_unit: Unit
    other_admin: Membership
    other_manager: Membership
    other_member: Membership


def make_org(slug: str, name: str) -> dict:
    org = OrganizationFactory(slug=slug, name=name)
    company = UnitFactory(org=org, name=name)
    engineering = UnitFactory(org=org, name="Engineering", parent=company)
    platform = UnitFactory(org=org, name="Platform", parent=engineering)
    admin = MembershipFactory(
        org=org,
        role=Role.ADMIN,
        unit=company,
        user__email=f"admin@{slug}.test",
        user__full_name=f"Alice Admin ({name})",
        title="COO",
    )
    manager = MembershipFactory(
        org=org,
        role=Role.MANAGER,
        unit=engineering,
        manager=admin,
        user__email=f"manager@{slug}.test",
        user__full_name=f"Mallory Manager ({name})",
        title="Head of Engineering",
    )
    member = MembershipFactory(
        org=org,
        role=Role.MEMBER,
        unit=platform,
        manager=manager,
        user__email=f"member@{slug}.test",
        user__full_name=f"Bob Member ({name})",
        title="Engineer",
    )
    member2 = MembershipFactory(
        org=org,
        role=Role.MEMBER,
        unit=platform,
        manager=manager,
        user__email=f"member2@{slug}.test",
        user__full_name=f"Carol Member ({name})",
        title="Engineer",
    )
    with tenant_context(org.pk):
        Unit.objects.filter(pk=engineering.pk).update(lead=manager)
        engineering.lead = manager
    return locals()


@pytest.fixture
def cast(db) -> Cast:
    a = make_org("acme", "Acme")
    b = make_org("globex", "Globex")
    return Cast(
        org=a["org"],
        company=a["company"],
        engineering=a["engineering"],
        platform=a["platform"],
        admin=a["admin"],
        manager=a["manager"],
        member=a["member"],
        member2=a["member2"],
        other_org=b["org"],
        other_unit=b["engineering"],
        other_admin=b["admin"],
        other_manager=b["manager"],
        other_member=b["member"],
    )


@pytest.fixture
def login(client):
    """Log the test client in as a membership's user."""

    def _login(membership: Membership):
        client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from core.tenancy import tenant_context
from goals.models import Cycle
from kpis.models import Kpi
from orgs.models import Membership, Organization, Role, Unit, User

pytestmark = pytest.mark.django_db

LOGINS = {
    "admin@acme.test": ("acme", Role.ADMIN),
    "manager@acme.test": ("acme", Role.MANAGER),
    "member@acme.test": ("acme", Role.MEMBER),
    "admin@globex.test": ("globex", Role.ADMIN),
    "manager@globex.test": ("globex", Role.MANAGER),
    "member@globex.test": ("globex", Role.MEMBER),
}


def seed(*args: str) -> str:
    """Run seed_demo without the goals cascade, which these tests don't look at
    (devtools/tests/test_demo.py does)."""
    out = StringIO()
    call_command("seed_demo", "--no-goals", *args, stdout=out)
    return out.getvalue()


def seed_with_goals(*args: str) -> str:
    """The full seed_demo, goals included."""
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def memberships(slug: str) -> list[Membership]:
    org = Organization.objects.get(slug=slug)
    with tenant_context(org.pk):
        return list(Membership.objects.filter(org=org).select_related("user", "unit"))


def units(slug: str) -> list[Unit]:
    org = Organization.objects.get(slug=slug)
    with tenant_context(org.pk):
        return list(Unit.objects.filter(org=org))


def snapshot(slug: str) -> tuple[list, list]:
    """Every membership and unit row of an organisation, to compare before and after."""
    people = sorted(
        (m.pk, m.user.email, m.role, m.title, m.unit_id, m.manager_id, m.is_active)
        for m in memberships(slug)
    )
    tree = sorted((u.pk, u.name, u.parent_id, u.lead_id) for u in units(slug))
    return people, tree


def assert_reporting_lines_are_a_tree(people: list[Membership]) -> None:
    """Exactly one person reports to nobody, and nobody's chain of managers loops."""
    managers = {m.pk: m.manager_id for m in people}
    assert [pk for pk, manager in managers.items() if manager is None] == [
        m.pk for m in people if m.role == Role.ADMIN and m.unit.parent_id is None
    ]
    for pk in managers:
        seen = set()
        while pk is not None:
            assert pk not in seen, "reporting cycle"
            seen.add(pk)
            pk = managers[pk]


def test_it_creates_both_organisations_with_their_logins(client):
    out = seed()

    assert Organization.objects.get(slug="acme").name == "Acme Corporation"
    assert Organization.objects.get(slug="globex").name == "Globex"
    for email, (slug, role) in LOGINS.items():
        membership = next(m for m in memberships(slug) if m.user.email == email)
        assert membership.role == role
        assert membership.is_active
        assert email in out
    assert "cairn-demo" in out


@pytest.mark.parametrize("email", [*LOGINS, "consultant@cairn.test"])
def test_it_lets_each_demo_login_sign_in_with_the_demo_password(client, email):
    seed()

    response = client.post(reverse("login"), {"username": email, "password": "cairn-demo"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(User.objects.get(email=email).pk)


def test_it_puts_the_consultant_in_both_organisations(client):
    seed()

    consultant = User.objects.get(email="consultant@cairn.test")
    for slug in ("acme", "globex"):
        assert any(m.user_id == consultant.pk for m in memberships(slug))
    client.force_login(consultant, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("home"))
    assert response.status_code == 200  # the organisation chooser, not a redirect into one
    assert b"Acme Corporation" in response.content
    assert b"Globex" in response.content


def test_it_gives_the_demo_a_unit_tree_with_leads_and_reporting_lines():
    seed()

    for slug in ("acme", "globex"):
        people, tree = memberships(slug), units(slug)
        assert all(u.lead_id is not None for u in tree)
        assert all(m.unit_id is not None and m.title for m in people)
        assert_reporting_lines_are_a_tree(people)
        by_email = {m.user.email: m for m in people}
        manager, member = by_email[f"manager@{slug}.test"], by_email[f"member@{slug}.test"]
        assert member.manager_id == manager.pk
        assert sum(m.manager_id == manager.pk for m in people) >= 3
        assert any(u.lead_id == manager.pk for u in tree)
        leads = {u.lead_id for u in tree}
        assert all(m.pk in leads for m in people if m.role == Role.MANAGER)
        depth = {u.pk: 0 for u in tree if u.parent_id is None}
        while len(depth) < len(tree):
            depth |= {u.pk: depth[u.parent_id] + 1 for u in tree if u.parent_id in depth}
        assert max(depth.values()) >= 2  # company -> division -> department at least


def test_it_changes_nothing_when_run_twice():
    seed()
    before = snapshot("acme"), snapshot("globex"), User.objects.count()

    out = seed()

    assert (snapshot("acme"), snapshot("globex"), User.objects.count()) == before
    assert "nothing to create" in out


def test_it_grows_acme_to_the_asked_number_of_people():
    seed()
    globex_before = snapshot("globex")

    out = seed("--people", "120")

    people = memberships("acme")
    assert sum(m.is_active for m in people) == 120
    assert all(m.unit_id is not None for m in people)
    assert_reporting_lines_are_a_tree(people)
    tree = units("acme")
    assert all(u.lead_id is not None for u in tree)
    assert "Adding people [" in out
    assert "Acme Corporation (/o/acme/): 120 people" in out
    assert snapshot("globex") == globex_before


def test_it_adds_about_one_unit_per_ten_people_nested_at_most_five_deep():
    seed("--people", "400")

    tree = units("acme")
    assert len(tree) == 40
    parents = {u.pk: u.parent_id for u in tree}
    for pk in parents:
        depth = 0
        while parents[pk] is not None:
            pk, depth = parents[pk], depth + 1
        assert depth <= 4
    people = memberships("acme")
    assert len(people) == 400
    assert_reporting_lines_are_a_tree(people)


def test_it_creates_nothing_when_grown_twice_to_the_same_size():
    seed("--people", "120")
    before = snapshot("acme"), snapshot("globex"), User.objects.count()

    seed("--people", "120")

    assert (snapshot("acme"), snapshot("globex"), User.objects.count()) == before


def test_it_refuses_a_negative_number_of_people():
    with pytest.raises(CommandError):
        seed("--people", "-1")


def test_it_refuses_a_negative_number_of_goals_per_person():
    with pytest.raises(CommandError, match="--goals-per-person must be zero or more"):
        seed_with_goals("--goals-per-person", "-1")


def test_it_leaves_goals_and_kpis_out_when_asked():
    out = seed()

    for slug in ("acme", "globex"):
        org = Organization.objects.get(slug=slug)
        with tenant_context(org.pk):
            assert not Cycle.objects.filter(org=org).exists()
            assert not Kpi.objects.filter(org=org).exists()
    assert "0 cycles, 0 goals and 0 check-ins." in out
    assert "Acme Corporation (/o/acme/): 28 people, 16 units\n" in out


def test_it_refuses_scaled_goals_without_the_demo_goals():
    with pytest.raises(CommandError, match="drop --no-goals"):
        seed("--people", "60", "--goals-per-person", "2")
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "8123"}, "http://127.0.0.1:8123"),
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8123", "SITE_URL": "https://okr.example.com/"}, "https://okr.example.com"),
    ],
)
def test_links_printed_and_emailed_follow_port_unless_site_url_is_set(env, expected):
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in {"PORT", "SITE_URL"}}
    out = subprocess.run(
        [sys.executable, "-c", "from config import settings; print(settings.SITE_URL)"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected

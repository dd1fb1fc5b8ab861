"""Tenant tasks refuse to run without an organisation and see only its rows; a fan-out
runs one task per organisation, and one organisation failing stops none of the others."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.tasks import MissingOrganisation, fan_out, ran_here, tenant_task
from core.tenancy import tenant_context
from orgs.models import Invitation, Organization, Unit
from orgs.tasks import purge_expired_invitations

ran_for: list[int] = []


@tenant_task
def unit_orgs(*, org_id: int) -> list[int]:
    """The organisations of every unit the body can see: no filter by org."""
    return sorted(set(Unit.objects.values_list("org_id", flat=True)))


@tenant_task
def rename_company(*, org_id: int, failing_org: int | None = None, name: str = "Renamed") -> int:
    ran_for.append(org_id)
    renamed = Unit.objects.filter(org=org_id, parent__isnull=True).update(name=name)
    if org_id == failing_org:
        raise RuntimeError("this organisation's data is broken")
    return renamed


@pytest.fixture(autouse=True)
def _reset():
    ran_for.clear()


def company_name(org) -> str:
    with tenant_context(org.pk):
        return Unit.objects.get(org=org, parent__isnull=True).name


@pytest.mark.parametrize(
    "call",
    [
        lambda: unit_orgs(),
        lambda: unit_orgs(org_id=None),
        lambda: unit_orgs.delay(),
        lambda: unit_orgs.apply_async(kwargs={"org_id": None}),
    ],
    ids=["called", "called-with-none", "delayed", "enqueued-with-none"],
)
def test_a_tenant_task_refuses_to_run_without_an_organisation(cast, call):
    with pytest.raises(MissingOrganisation, match="org_id"):
        call()


def test_a_worker_given_no_organisation_fails_the_task_without_running_it(cast):
    # What a worker does with a message that carries no org_id.
    result = rename_company.apply(kwargs={}, throw=False)
    assert isinstance(result.result, MissingOrganisation)
    assert ran_for == []
    assert company_name(cast.org) == "Acme"


def test_a_tenant_task_runs_its_body_in_the_organisations_context(cast):
    assert rename_company(org_id=cast.org.pk) == 1
    assert rename_company.delay(org_id=cast.other_org.pk).get() == 1
    assert (company_name(cast.org), company_name(cast.other_org)) == ("Renamed", "Renamed")


@pytest.mark.postgres
def test_a_tenant_task_sees_only_its_organisations_rows(cast):
    assert unit_orgs(org_id=cast.org.pk) == [cast.org.pk]
    assert unit_orgs.delay(org_id=cast.other_org.pk).get() == [cast.other_org.pk]


def test_fan_out_runs_one_task_per_organisation(cast):
    third = Organization.objects.create(name="Initech", slug="initech")
    results = fan_out(rename_company, name="Head office")
    assert list(results) == [cast.org.pk, cast.other_org.pk, third.pk]
    assert sorted(ran_for) == sorted(results)
    assert ran_here(results) == {cast.org.pk: 1, cast.other_org.pk: 1, third.pk: 0}
    assert company_name(cast.other_org) == "Head office"


def test_a_failing_organisation_does_not_stop_the_others(cast):
    first, second = sorted([cast.org, cast.other_org], key=lambda org: org.pk)
    results = fan_out(rename_company, failing_org=first.pk)
    assert ran_for == [first.pk, second.pk]
    assert ran_here(results) == {first.pk: None, second.pk: 1}
    # The failing organisation's task rolled back its own writes only.
    assert company_name(first) == first.name
    assert company_name(second) == "Renamed"


def test_the_periodic_purge_runs_in_every_organisation(cast):
    long_ago = timezone.now() - timedelta(days=31)
    for org, email in [(cast.org, "old@acme.test"), (cast.other_org, "old@globex.test")]:
        with tenant_context(org.pk):
            for address, expires in [(email, long_ago), (f"new.{email}", timezone.now())]:
                Invitation.objects.create(
                    org=org, email=address, token_hash=address, expires_at=expires
                )
    assert purge_expired_invitations() == {cast.org.pk: 1, cast.other_org.pk: 1}
    for org, email in [(cast.org, "new.old@acme.test"), (cast.other_org, "new.old@globex.test")]:
        with tenant_context(org.pk):
            assert list(Invitation.objects.filter(org=org).values_list("email", flat=True)) == [
                email
            ]


def test_a_task_that_opens_its_own_contexts_still_needs_its_organisation(cast):
    """``opens_context=False`` leaves the transactions to the body, not the org_id check."""
    from core.tasks import MissingOrganisation
    from notifications.tasks import sweep_org

    with pytest.raises(MissingOrganisation):
        sweep_org.apply(kwargs={}).get()
    assert sweep_org.apply(kwargs={"org_id": cast.org.pk}).get() == 0

"""factory_boy factories. Tenant rows are created with their organisation set
for row-level security, as the application does."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from core.tenancy import tenant_context
from orgs.models import Membership, Organization, Role, Unit, User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.django.Password("correct-horse-battery")


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class TenantFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["org"].pk):
            return super()._create(model_class, *args, **kwargs)


class UnitFactory(TenantFactory):
    class Meta:
        model = Unit

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Unit {n}")


class MembershipFactory(TenantFactory):
    class Meta:
        model = Membership

    org = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER
    title = factory.Faker("job")

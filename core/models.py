"""Abstract bases for the rows every app keeps per organisation.

Each concrete table built on them also needs the ``EnableRowLevelSecurity``
operation (core.rls) in a migration: on PostgreSQL the org column is what the
row-level security policy checks.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OrgScopedModel(models.Model):
    """A row owned by one organisation, deleted with it."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class TenantModel(OrgScopedModel):
    """A row owned by one organisation that records when it was created and last saved."""

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

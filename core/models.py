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


class JobRun(OrgScopedModel):
    """One periodic job's run for one organisation and period (core.periodic).

    ``(org, job, period)`` is unique: beat firing twice, a retry or a second worker
    finds the row and does not run the job again for that period. Counts are what
    the job did (reminders sent, values computed…), shown on the job health page.
    """

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCESS = "success", "Succeeded"
        FAILED = "failed", "Failed"

    job = models.CharField(max_length=40)
    period = models.CharField(max_length=40)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    # beat, manual (run_periodic) or the health page's "run now".
    trigger = models.CharField(max_length=10, default="beat")

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["org", "job", "period"], name="jobrun_unique_period"),
        ]
        indexes = [models.Index(fields=["org", "job", "-started_at"], name="jobrun_org_job_time")]

    def __str__(self) -> str:
        return f"{self.job} {self.period}: {self.outcome}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None

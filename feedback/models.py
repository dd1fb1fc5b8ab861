"""Feedback between colleagues, and requests for it.

Visibility is the giver's choice: private (the recipient), managers (the
recipient and their manager chain) or public (the organisation). The giver
always sees what they gave. Feedback may be corrected until the recipient has
read it; each correction keeps the text before it (``FeedbackRevision``).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from core.models import OrgScopedModel, TenantModel
from orgs.models import Membership

MAX_BODY = 5000


class FeedbackVisibility(models.TextChoices):
    PRIVATE = "private", "Only the recipient"
    MANAGERS = "managers", "The recipient and their managers"
    PUBLIC = "public", "Everyone in the organisation"


class Feedback(TenantModel):
    giver = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="feedback_given")
    recipient = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="feedback_received"
    )
    goal = models.ForeignKey(
        "goals.Goal", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    checkin = models.ForeignKey(
        "goals.CheckIn", null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    body = models.TextField(max_length=MAX_BODY)
    visibility = models.CharField(
        max_length=10, choices=FeedbackVisibility.choices, default=FeedbackVisibility.MANAGERS
    )
    # Once the recipient has read it, the feedback no longer changes.
    read_at = models.DateTimeField(null=True, blank=True)
    request = models.ForeignKey(
        "FeedbackRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["org", "recipient", "-created_at"], name="feedback_received"),
            models.Index(fields=["org", "giver", "-created_at"], name="feedback_given"),
            models.Index(fields=["org", "goal"], name="feedback_goal"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(giver=models.F("recipient")), name="feedback_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback from {self.giver_id} to {self.recipient_id}"


class FeedbackRevision(OrgScopedModel):
    """The text of a feedback before a correction (made before the recipient read it)."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField(max_length=MAX_BODY)
    edited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["edited_at", "pk"]


class FeedbackRequest(TenantModel):
    """Someone asks a colleague for feedback on a person (themselves, or a report)."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for an answer"
        ANSWERED = "answered", "Answered"
        DECLINED = "declined", "Declined"

    requester = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    # Whom the feedback is about: the requester, or a report a manager asks for.
    about = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="feedback_requests_about"
    )
    asked = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="feedback_requests_received"
    )
    goal = models.ForeignKey(
        "goals.Goal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prompt = models.TextField(max_length=1000, blank=True)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decline_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["org", "asked", "status"], name="feedbackrequest_asked"),
            models.Index(fields=["org", "about", "status"], name="feedbackrequest_about"),
        ]

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
            # The API's newest-first list stops after a page instead of sorting them all.
            models.Index(fields=["org", "-created_at", "-id"], name="feedback_newest"),
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


# --- Conversation on goals --------------------------------------------------------

MAX_COMMENT = 5000


class Comment(TenantModel):
    """A message in a goal's thread, or under one of its check-ins (``checkin`` set).

    The author may edit it for a short while (each edit keeps the text before it in
    ``CommentRevision``); the author or an admin may remove it, which blanks the text
    and leaves a "comment removed" marker in the thread.
    """

    author = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="comments")
    goal = models.ForeignKey("goals.Goal", on_delete=models.CASCADE, related_name="comments")
    checkin = models.ForeignKey(
        "goals.CheckIn", null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    body = models.TextField(max_length=MAX_COMMENT, blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["org", "goal", "created_at"], name="comment_goal"),
            models.Index(fields=["org", "checkin", "created_at"], name="comment_checkin"),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} on goal {self.goal_id}"


class CommentRevision(OrgScopedModel):
    """The text of a comment before an edit."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField(max_length=MAX_COMMENT)
    edited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["edited_at", "pk"]


class Mention(OrgScopedModel):
    """A colleague named with @ in a comment (notified once per comment)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    person = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="mentions")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "person"], name="mention_once"),
        ]


# --- Recognition --------------------------------------------------------------------

MAX_KUDOS = 2000


class CompanyValue(TenantModel):
    """A value the organisation recognises people for; admins configure them."""

    name = models.CharField(max_length=60)
    description = models.CharField(max_length=300, blank=True)
    emoji = models.CharField(max_length=8, blank=True)
    colour = models.CharField(max_length=7, default="#0b6e5f")  # #rrggbb
    is_active = models.BooleanField(default=True)  # archived values stay on old kudos
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="company_value_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Recognition(TenantModel):
    """Public praise ("kudos") from one person to one or more colleagues."""

    giver = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="kudos_given")
    message = models.TextField(max_length=MAX_KUDOS)
    value = models.ForeignKey(
        CompanyValue, null=True, blank=True, on_delete=models.PROTECT, related_name="recognitions"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["org", "-created_at", "-id"], name="recognition_feed"),
            models.Index(fields=["org", "value", "-created_at"], name="recognition_value"),
        ]

    def __str__(self) -> str:
        return f"Kudos {self.pk} from {self.giver_id}"


class RecognitionRecipient(OrgScopedModel):
    """One person a recognition praises (org-scoped so row-level security covers it)."""

    recognition = models.ForeignKey(
        Recognition, on_delete=models.CASCADE, related_name="recipients"
    )
    person = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="kudos_received")
    # The recognition's time, copied so counts per person and cycle need no join.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recognition", "person"], name="recognition_once"),
        ]
        indexes = [
            models.Index(fields=["org", "person", "created_at"], name="recognition_person"),
        ]


class RecognitionGoal(OrgScopedModel):
    """A goal a recognition is about."""

    recognition = models.ForeignKey(Recognition, on_delete=models.CASCADE, related_name="goals")
    goal = models.ForeignKey("goals.Goal", on_delete=models.CASCADE, related_name="recognitions")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recognition", "goal"], name="recognition_goal_once"),
        ]


class ReactionEmoji(models.TextChoices):
    CLAP = "clap", "👏"
    TADA = "tada", "🎉"
    HEART = "heart", "❤️"
    BULB = "bulb", "💡"
    ROCKET = "rocket", "🚀"


class Reaction(OrgScopedModel):
    """One person's reaction to a recognition (one of each emoji at most)."""

    recognition = models.ForeignKey(Recognition, on_delete=models.CASCADE, related_name="reactions")
    person = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    emoji = models.CharField(max_length=10, choices=ReactionEmoji.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recognition", "person", "emoji"], name="reaction_once"
            ),
        ]

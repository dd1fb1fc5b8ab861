"""The notification outbox: one row per thing someone should hear about.

A service writes the row in its own transaction; delivery (email now, or in the
weekly digest) happens after commit and marks the row, so nothing is sent twice.
The same row is the in-app inbox entry.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.models import OrgScopedModel
from orgs.models import Invitation, Membership


class Kind(models.TextChoices):
    GOAL_CASCADED = "goal_cascaded", "A goal is cascaded to you"
    GOAL_SUBMITTED = "goal_submitted", "A goal awaits your approval"
    GOAL_APPROVED = "goal_approved", "Your goal is approved"
    GOAL_CHANGES_REQUESTED = "goal_changes_requested", "Changes are requested on your goal"
    INVITATION = "invitation", "An invitation to join"
    REVIEW_REMINDER = "review_reminder", "Check-ins and measurements due"
    TEAM_REVIEW = "team_review", "Approvals and goals needing attention in your team"
    CYCLE_ENDING = "cycle_ending", "A cycle is ending: final check-ins"
    CYCLE_STARTED = "cycle_started", "A cycle started and you have no goal in it"
    TEAM_WITHOUT_GOALS = "team_without_goals", "People in your team without a goal this cycle"
    FEEDBACK_RECEIVED = "feedback_received", "You received feedback"
    FEEDBACK_REQUESTED = "feedback_requested", "Someone asks you for feedback"
    COMMENT = "comment", "A comment on your goal or check-in"
    MENTION = "mention", "Someone mentioned you in a comment"
    RECOGNITION = "recognition", "Someone recognised you"


# Kinds whose row carries its own words and link in ``data``: {"title": the sentence,
# "path": where it leads, "quote": an excerpt of what was written}. Emailed as a message.
MESSAGE_KINDS = {
    Kind.FEEDBACK_RECEIVED,
    Kind.FEEDBACK_REQUESTED,
    Kind.COMMENT,
    Kind.MENTION,
    Kind.RECOGNITION,
}


# Kinds a person can tune on their settings page (an invitation goes to an address).
PERSONAL_KINDS = [kind for kind in Kind if kind != Kind.INVITATION]


class EmailState(models.TextChoices):
    PENDING = "pending", "Waiting to be emailed"
    DIGEST = "digest", "Waiting for the weekly digest"
    SENT = "sent", "Emailed"
    SKIPPED = "skipped", "Not emailed"


class Notification(OrgScopedModel):
    """Someone (``actor``) did something (``kind``) to a goal or invitation that
    ``recipient`` should hear about."""

    recipient = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    actor = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The subject: one nullable foreign key per kind of object, so the inbox can
    # select_related it and a deleted subject takes its notifications with it.
    goal = models.ForeignKey(
        "goals.Goal", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    email_state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.PENDING
    )
    emailed_at = models.DateTimeField(null=True, blank=True)
    in_app = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # What a digest or reminder lists: {"title": …, "items": [{"label", "detail", "path"}],
    # "sections": [...]}; rendered by the inbox and the email.
    data = models.JSONField(null=True, blank=True)
    # Once per person and period: a reminder's key (kind, period), unique per recipient,
    # so a job that runs twice, retries or races on two workers records it once.
    dedupe_key = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_once_per_period",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "recipient", "read_at"], name="notification_inbox"),
            models.Index(fields=["org", "email_state", "created_at"], name="notification_outbox"),
            # A comment's notifications by key (comment:<pk>, mention:<pk>), when it is edited
            # or removed and their quotes must follow.
            models.Index(
                fields=["org", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_by_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.email_state})"

    @property
    def sentence(self) -> str:
        """Who did what, for the inbox and the digest (needs actor, goal, owner, parent)."""
        from notifications.emails import goal_sentence

        if self.goal_id is None or self.kind in MESSAGE_KINDS:
            if self.data and self.data.get("title"):
                return str(self.data["title"])
            return str(self.get_kind_display())
        actor = self.actor.display_name if self.actor_id else "Someone"
        return goal_sentence(self, actor=actor)

    @property
    def path(self) -> str:
        """The link a message kind carries (empty for the others)."""
        path = str((self.data or {}).get("path", ""))
        # Only a path on this site: written by our services, checked all the same.
        return path if path.startswith("/") and not path.startswith("//") else ""

    @property
    def quote(self) -> str:
        return str((self.data or {}).get("quote", ""))

    @property
    def sections(self) -> list[dict]:
        """A reminder's sections: [{"title", "items": [{"label", "detail", "path"}], "more"}]."""
        return list((self.data or {}).get("sections") or [])

    def get_path(self, org) -> str:
        """Where the notification leads: its own path, its goal, else the inbox."""
        if self.path:
            return self.path
        if self.goal_id is not None:
            return reverse("goals:goal_detail", args=[org.slug, self.goal_id])
        return reverse("notifications:notifications", args=[org.slug])


class NotificationSettings(OrgScopedModel):
    """One person's choices: kinds they do not want by email or in the app, and whether
    their emails wait for a weekly digest. No row means everything on, immediately."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_off = models.JSONField(default=list, blank=True)
    in_app_off = models.JSONField(default=list, blank=True)
    weekly_digest = models.BooleanField(default=False)
    last_digest_week = models.CharField(max_length=10, blank=True)

    def __str__(self) -> str:
        return f"Notification settings of {self.membership}"

    def wants_email(self, kind: str) -> bool:
        return kind not in self.email_off

    def wants_in_app(self, kind: str) -> bool:
        return kind not in self.in_app_off

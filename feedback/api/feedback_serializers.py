"""The feedback API's serializers: what goes in and out. The services decide and explain."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from feedback import services
from feedback.models import Feedback, FeedbackRequest, FeedbackVisibility
from goals.models import CheckIn, Goal
from orgs.api import InOrgField
from orgs.models import Membership

ID_MAX = 2**63 - 1


def _id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=ID_MAX, **kwargs)


# --- Output -------------------------------------------------------------------


class FeedbackSerializer(serializers.ModelSerializer):
    giver_name = serializers.CharField(source="giver.display_name", read_only=True)
    recipient_name = serializers.CharField(source="recipient.display_name", read_only=True)
    edited = serializers.BooleanField(
        read_only=True, help_text="Corrected by the giver before the recipient read it."
    )
    goal = serializers.SerializerMethodField(
        help_text="The goal's id; null when none, or when it is a goal you may not see."
    )
    checkin = serializers.SerializerMethodField(
        help_text="The check-in's id; null when none, or when it is on a goal you may not see."
    )

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_goal(self, feedback: Feedback) -> int | None:
        return feedback.goal_id if getattr(feedback, "goal_visible", False) else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_checkin(self, feedback: Feedback) -> int | None:
        return feedback.checkin_id if getattr(feedback, "checkin_visible", False) else None

    class Meta:
        model = Feedback
        fields = [
            "id",
            "giver",
            "giver_name",
            "recipient",
            "recipient_name",
            "body",
            "visibility",
            "goal",
            "checkin",
            "request",
            "created_at",
            "read_at",
            "edited",
        ]
        read_only_fields = fields


class FeedbackRequestSerializer(serializers.ModelSerializer):
    requester_name = serializers.CharField(source="requester.display_name", read_only=True)
    about_name = serializers.CharField(source="about.display_name", read_only=True)
    asked_name = serializers.CharField(source="asked.display_name", read_only=True)

    class Meta:
        model = FeedbackRequest
        fields = [
            "id",
            "requester",
            "requester_name",
            "about",
            "about_name",
            "asked",
            "asked_name",
            "goal",
            "prompt",
            "due_date",
            "status",
            "decline_reason",
            "created_at",
        ]
        read_only_fields = fields


# --- Input --------------------------------------------------------------------


class FeedbackFilterSerializer(serializers.Serializer):
    received = serializers.BooleanField(
        required=False, default=False, help_text="Only feedback you received."
    )
    given = serializers.BooleanField(
        required=False, default=False, help_text="Only feedback you gave."
    )
    recipient = _id_field(required=False, help_text="Only feedback to this membership id.")
    goal = _id_field(required=False, help_text="Only feedback about this goal id.")


class FeedbackInputSerializer(serializers.Serializer):
    recipient = InOrgField(
        queryset=Membership.objects.all(),
        allow_null=True,
        help_text="The colleague's membership id.",
    )
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)
    visibility = serializers.ChoiceField(
        choices=FeedbackVisibility.choices,
        default=FeedbackVisibility.MANAGERS,
        error_messages={"invalid_choice": services.VISIBILITY_UNKNOWN},
        help_text="private (the recipient), managers (also their manager chain; the "
        "default) or public (the organisation).",
    )
    goal = InOrgField(
        queryset=Goal.objects.all(),
        required=False,
        allow_null=True,
        help_text="One of the recipient's goals.",
    )
    checkin = InOrgField(
        queryset=CheckIn.objects.all(),
        required=False,
        allow_null=True,
        help_text="A check-in on one of the recipient's goals.",
    )
    request = InOrgField(
        queryset=FeedbackRequest.objects.all(),
        required=False,
        allow_null=True,
        help_text="The open request (asked of you) this feedback answers.",
    )


class FeedbackCorrectionSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False)


class RequestFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=["asked", "sent"],
        required=False,
        help_text="asked: requests asked of you; sent: requests you made; both by default.",
    )
    status = serializers.ChoiceField(choices=FeedbackRequest.Status.choices, required=False)


class FeedbackRequestInputSerializer(serializers.Serializer):
    asked = serializers.ListField(
        child=_id_field(),
        max_length=1000,
        help_text=f"The membership ids of the colleagues to ask (at most {services.MAX_ASKED}).",
    )
    about = InOrgField(
        queryset=Membership.objects.all(),
        required=False,
        allow_null=True,
        help_text="Whom the feedback is about: you (the default) or one of your reports.",
    )
    goal = InOrgField(
        queryset=Goal.objects.all(),
        required=False,
        allow_null=True,
        help_text="One of that person's goals.",
    )
    prompt = serializers.CharField(required=False, allow_blank=True, default="")
    due_date = serializers.DateField(required=False, allow_null=True, default=None)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")

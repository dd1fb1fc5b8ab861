"""The recognition API's serializers: kudos out (hydrated by feedback.recognition), kudos,
reactions and company values in. Ids resolve within the request's organisation only."""

from __future__ import annotations

from rest_framework import serializers

from feedback import recognition
from feedback.models import CompanyValue, ReactionEmoji
from goals.models import Goal
from orgs.api import InOrgField
from orgs.models import Membership

# --- Output -------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The membership id.")
    name = serializers.CharField(source="display_name")


class ValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = CompanyValue
        fields = ["id", "name", "description", "emoji", "colour", "is_active", "position"]
        read_only_fields = fields
        extra_kwargs = {
            "colour": {"help_text": "#rrggbb."},
            "is_active": {"help_text": "False once archived: kept on past kudos, not choosable."},
        }


class GoalLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="goal_id")
    title = serializers.CharField(
        allow_null=True, help_text="None for a private goal you may not see."
    )
    private = serializers.BooleanField(help_text="True for a goal you may not see.")

    def to_representation(self, link):
        return {
            "id": link.goal_id,
            "title": link.title if link.visible else None,
            "private": not link.visible,
        }


class ReactionCountSerializer(serializers.Serializer):
    emoji = serializers.ChoiceField(choices=ReactionEmoji.choices)
    symbol = serializers.CharField(source="label")
    count = serializers.IntegerField()
    mine = serializers.BooleanField(help_text="Whether you reacted so.")


class RecognitionSerializer(serializers.Serializer):
    """A kudos, as ``feedback.recognition.hydrate`` prepares it."""

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    giver = PersonSerializer()
    recipients = PersonSerializer(many=True, source="people")
    message = serializers.CharField()
    value = ValueSerializer(allow_null=True)
    goals = GoalLinkSerializer(many=True, source="goal_links")
    reactions = ReactionCountSerializer(many=True, source="reaction_counts")


# --- Input --------------------------------------------------------------------


class ShortListField(serializers.ListField):
    """A list whose length is checked before its items (each item is a query)."""

    def to_internal_value(self, data):
        if self.max_length is not None and isinstance(data, list) and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class RecognitionInputSerializer(serializers.Serializer):
    recipients = ShortListField(
        child=InOrgField(queryset=Membership.objects.all()),
        max_length=recognition.MAX_RECIPIENTS,
        error_messages={"max_length": recognition.TOO_MANY_RECIPIENTS},
        help_text="Membership ids of the colleagues recognised "
        f"(1 to {recognition.MAX_RECIPIENTS}).",
    )
    message = serializers.CharField(allow_blank=True, trim_whitespace=False)
    value = InOrgField(
        queryset=CompanyValue.objects.all(),
        required=False,
        allow_null=True,
        help_text="An active company value's id.",
    )
    goals = ShortListField(
        child=InOrgField(queryset=Goal.objects.all()),
        required=False,
        max_length=recognition.MAX_GOALS,
        error_messages={"max_length": recognition.TOO_MANY_GOALS},
        help_text="Ids of goals of the recipients that you may see.",
    )


class ReactionInputSerializer(serializers.Serializer):
    emoji = serializers.ChoiceField(choices=ReactionEmoji.choices)


class ValueInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    emoji = serializers.CharField(max_length=8, required=False, allow_blank=True)
    colour = serializers.RegexField(
        r"^#[0-9a-fA-F]{6}$",
        required=False,
        error_messages={"invalid": recognition.VALUE_COLOUR_INVALID},
    )
    is_active = serializers.BooleanField(required=False, help_text="False archives the value.")

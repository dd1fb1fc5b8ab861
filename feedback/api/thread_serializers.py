"""The comment API's serializers: what goes in and out. The rules (body, mentions,
check-in, edit window) are feedback.threads'; these only check types."""

from __future__ import annotations

from django.core.validators import ProhibitNullCharactersValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from feedback.models import Comment
from goals.api.serializers import PersonRefSerializer

ID_MAX = 2**63 - 1


class ThreadCommentSerializer(serializers.ModelSerializer):
    """A comment, or the marker a removed one leaves (``removed``, empty ``body``)."""

    author = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField(help_text="Empty once the comment is removed.")
    removed = serializers.SerializerMethodField()
    removed_by = serializers.SerializerMethodField()
    edited = serializers.SerializerMethodField()
    mentions = serializers.SerializerMethodField(
        help_text="The colleagues mentioned (membership ids and names)."
    )

    class Meta:
        model = Comment
        fields = [
            "id",
            "goal",
            "checkin",
            "author",
            "body",
            "created_at",
            "edited",
            "edited_at",
            "removed",
            "removed_by",
            "mentions",
        ]
        read_only_fields = fields

    @extend_schema_field(PersonRefSerializer)
    def get_author(self, comment: Comment) -> dict:
        return {"id": comment.author_id, "name": comment.author.display_name}

    def get_body(self, comment: Comment) -> str:
        return "" if comment.deleted_at else comment.body

    def get_removed(self, comment: Comment) -> bool:
        return comment.deleted_at is not None

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_removed_by(self, comment: Comment) -> dict | None:
        if comment.deleted_at is None or comment.deleted_by is None:
            return None
        return {"id": comment.deleted_by_id, "name": comment.deleted_by.display_name}

    def get_edited(self, comment: Comment) -> bool:
        return comment.edited_at is not None and comment.deleted_at is None

    @extend_schema_field(PersonRefSerializer(many=True))
    def get_mentions(self, comment: Comment) -> list[dict]:
        return [{"id": m.person_id, "name": m.person.display_name} for m in comment.mentions.all()]


class PostedThreadCommentSerializer(ThreadCommentSerializer):
    not_notified = serializers.SerializerMethodField(
        help_text="Mentioned colleagues who cannot see the goal, so were not notified."
    )

    class Meta(ThreadCommentSerializer.Meta):
        fields = [*ThreadCommentSerializer.Meta.fields, "not_notified"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_not_notified(self, comment: Comment) -> list[int]:
        return [p.pk for p in self.context.get("not_notified", [])]


class CommentTextField(serializers.CharField):
    """Text as sent: NUL bytes are the service's to strip, not a type error."""

    def __init__(self, **kwargs) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


def mentions_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        max_length=100,
        help_text="Membership ids of active colleagues in this organisation to mention; "
        "each is notified once if they can see the goal.",
    )


class ThreadCommentInputSerializer(serializers.Serializer):
    body = CommentTextField(help_text="Up to 5,000 characters.")
    checkin = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=ID_MAX,
        help_text="A check-in of this goal: the comment goes to the check-in's thread.",
    )
    mentions = mentions_field()


class ThreadCommentEditSerializer(serializers.Serializer):
    body = CommentTextField(help_text="The new text (within 15 minutes of posting).")
    mentions = mentions_field()

"""REST API for comment threads on goals and check-ins.

The same rules as the pages (feedback.threads): comments load only through a goal
the caller may see (another organisation's, a missing or a private goal they may
not see is a 404), and every write goes through the services, whose
ValidationErrors become 400s with field errors and PermissionDenied a 403.

Queries (beyond the request's own): the list, the goal, a count, the page and its
mentions; a comment, the comment and its goal (and, to answer, the comment again
with its mentions).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.params import to_id
from feedback import threads
from feedback.api.thread_serializers import (
    PostedThreadCommentSerializer,
    ThreadCommentEditSerializer,
    ThreadCommentInputSerializer,
    ThreadCommentSerializer,
)
from feedback.models import Comment
from goals.access import Actor, get_goal, request_actor
from goals.api.views import IsMember
from goals.models import CheckIn, Goal
from orgs.api import OrgAPIView

CHECKIN_FILTER = OpenApiParameter(
    name="checkin",
    type=int,
    location=OpenApiParameter.QUERY,
    required=False,
    description="Only the comments on this check-in of the goal.",
)


class ThreadsAPIView(OrgAPIView):
    permission_classes = [IsAuthenticated, IsMember]

    @property
    def actor(self) -> Actor:
        return request_actor(self.request._request)

    def fresh(self, comment: Comment) -> Comment:
        """The comment again, with what the serializer shows joined."""
        return threads.thread_comments(goal=comment.goal).get(pk=comment.pk)


def _checkin_of(goal: Goal, raw) -> CheckIn | None:
    if raw in (None, ""):
        return None
    found = CheckIn.objects.filter(org=goal.org_id, goal=goal, pk=raw).first()
    if found is None:
        raise ValidationError({"checkin": [threads.CHECKIN_NOT_ON_GOAL]})
    return found


class CommentListView(ThreadsAPIView):
    """A goal's comments (its check-ins' too), oldest first."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="goal_comments_list",
        tags=["comments"],
        parameters=[CHECKIN_FILTER],
        responses=ThreadCommentSerializer(many=True),
        description="Oldest first. A removed comment stays as a marker: removed true, "
        "body empty. The approval flow's comments are goal events (goal_events_list).",
    )
    def get(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        raw = request.query_params.get("checkin")
        checkin = None
        if raw is not None:
            pk = to_id(raw)
            if pk is None:
                raise ValidationError({"checkin": [threads.CHECKIN_NOT_ON_GOAL]})
            checkin = _checkin_of(goal, pk)
        comments = threads.thread_comments(goal=goal, checkin=checkin).order_by("created_at", "pk")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(comments, request, view=self)
        return paginator.get_paginated_response(ThreadCommentSerializer(page, many=True).data)

    @extend_schema(
        operation_id="goal_comments_create",
        tags=["comments"],
        request=ThreadCommentInputSerializer,
        responses={201: PostedThreadCommentSerializer},
        description="Anyone who can see the goal. Notifies the goal's owner, the check-in's "
        "author and earlier commenters of the thread; each mentioned colleague who can see "
        "the goal is notified of the mention instead (not_notified lists those who cannot). "
        'Mentioning anyone but an active colleague of this organisation is a 400 ("mentions") '
        "and saves nothing.",
    )
    def post(self, request: Request, org_slug: str, goal_pk: int) -> Response:
        goal = get_goal(self.actor, goal_pk)
        serializer = ThreadCommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        comment = threads.comment_post(
            actor=self.actor,
            goal=goal,
            body=data["body"],
            checkin=_checkin_of(goal, data.get("checkin")),
            mentions=data.get("mentions", []),
        )
        fresh = self.fresh(comment)
        body = PostedThreadCommentSerializer(fresh, context={"not_notified": comment.not_notified})
        return Response(body.data, status=status.HTTP_201_CREATED)


class CommentDetailView(ThreadsAPIView):
    """One comment: read it, edit it (the author, within 15 minutes), remove it (the
    author or an admin)."""

    @extend_schema(
        operation_id="comments_retrieve", tags=["comments"], responses=ThreadCommentSerializer
    )
    def get(self, request: Request, org_slug: str, comment_pk: int) -> Response:
        comment = threads.get_comment(self.actor, comment_pk)
        return Response(ThreadCommentSerializer(self.fresh(comment)).data)

    @extend_schema(
        operation_id="comments_update",
        tags=["comments"],
        request=ThreadCommentEditSerializer,
        responses={200: PostedThreadCommentSerializer},
        description="The author, within 15 minutes of posting; the earlier text is kept. "
        "mentions adds people to notify (those already mentioned stay mentioned).",
    )
    def patch(self, request: Request, org_slug: str, comment_pk: int) -> Response:
        comment = threads.get_comment(self.actor, comment_pk)
        serializer = ThreadCommentEditSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        edited = threads.comment_edit(
            actor=self.actor, comment=comment, body=data["body"], mentions=data.get("mentions")
        )
        body = PostedThreadCommentSerializer(
            self.fresh(edited), context={"not_notified": edited.not_notified}
        )
        return Response(body.data)

    @extend_schema(
        operation_id="comments_destroy",
        tags=["comments"],
        request=None,
        responses={204: OpenApiResponse(description="Removed: a marker stays in the thread.")},
        description="The author or an admin. The text and its earlier versions are deleted; "
        "the thread keeps a removed marker.",
    )
    def delete(self, request: Request, org_slug: str, comment_pk: int) -> Response:
        comment = threads.get_comment(self.actor, comment_pk)
        threads.comment_remove(actor=self.actor, comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)

"""REST API for feedback and feedback requests.

The same rules as the pages: feedback loads only through ``feedback.access`` (another
organisation's, a missing or an unreadable one is a 404; lists hold only what the caller
may read), requests only for the people they concern, and every write goes through
``feedback.services``: their ValidationErrors are 400s with field errors, their
PermissionDenied a 403.

Queries (beyond the request's own): the list, a count and the page (and the caller's
reporting subtree, for "managers" feedback); whatever the page size.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from feedback import selectors, services
from feedback.access import get_feedback, get_request, readable_feedback
from feedback.api.feedback_serializers import (
    DeclineSerializer,
    FeedbackCorrectionSerializer,
    FeedbackFilterSerializer,
    FeedbackInputSerializer,
    FeedbackRequestInputSerializer,
    FeedbackRequestSerializer,
    FeedbackSerializer,
    RequestFilterSerializer,
)
from feedback.models import FeedbackRequest
from goals.access import Actor, request_actor
from goals.api.views import IsMember
from orgs.api import OrgAPIView
from orgs.models import Membership

TAGS = ["feedback"]


class FeedbackAPIView(OrgAPIView):
    permission_classes = [IsAuthenticated, IsMember]

    @property
    def actor(self) -> Actor:
        return request_actor(self.request._request)

    def parse(self, serializer_class, data, **kwargs) -> dict:
        serializer = serializer_class(data=data, context={"org": self.org}, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def paginated(self, request: Request, qs, serializer_class) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        data = serializer_class(page, many=True).data
        if serializer_class is FeedbackSerializer:  # the recipient has now read these
            services.mark_shown_read(actor=self.actor, shown=page)
        return paginator.get_paginated_response(data)


def _with_edited(actor: Actor, qs):
    return selectors.for_display(actor, qs.select_related("giver__user", "recipient__user"))


def _goal_in_sight(actor: Actor, goal) -> None:
    """A goal the caller cannot see gets the same answer as one that is not the recipient's."""
    if goal is not None and not actor.visible_goals().filter(pk=goal.pk).exists():
        raise ValidationError({"goal": services.GOAL_NOT_THEIRS})


def _checkin_in_sight(actor: Actor, checkin) -> None:
    """So does a check-in on a goal the caller cannot see."""
    if checkin is not None and not actor.visible_goals().filter(pk=checkin.goal_id).exists():
        raise ValidationError({"checkin": services.CHECKIN_NOT_THEIRS})


class FeedbackListView(FeedbackAPIView):
    """Feedback you may read; give feedback."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="feedback_list",
        tags=TAGS,
        parameters=[FeedbackFilterSerializer],
        responses=FeedbackSerializer(many=True),
        description="The feedback you may read, newest first: what you gave or received, "
        "public feedback, and “managers” feedback to people below you. Feedback you "
        "received is read once listed: from then on it cannot change.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        filters = self.parse(FeedbackFilterSerializer, request.query_params)
        me = self.actor.member
        qs = readable_feedback(self.actor)
        if filters["received"]:
            qs = qs.filter(recipient=me)
        if filters["given"]:
            qs = qs.filter(giver=me)
        if "recipient" in filters:
            qs = qs.filter(recipient=filters["recipient"])
        if "goal" in filters:  # a goal the caller cannot see has no feedback for them
            qs = qs.filter(goal__in=self.actor.visible_goals().filter(pk=filters["goal"]))
        return self.paginated(request, _with_edited(self.actor, qs), FeedbackSerializer)

    @extend_schema(
        operation_id="feedback_create",
        tags=TAGS,
        request=FeedbackInputSerializer,
        responses={201: FeedbackSerializer},
        description="Give feedback to an active colleague, optionally about one of their "
        "goals or check-ins, or answering a request asked of you.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(FeedbackInputSerializer, request.data)
        _goal_in_sight(self.actor, data.get("goal"))
        _checkin_in_sight(self.actor, data.get("checkin"))
        feedback = services.give_feedback(actor=self.actor, **data)
        feedback = _with_edited(self.actor, readable_feedback(self.actor)).get(pk=feedback.pk)
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)


class FeedbackDetailView(FeedbackAPIView):
    """One feedback you may read; the giver corrects it until the recipient reads it."""

    def data(self, pk: int) -> dict:
        get_feedback(self.actor, pk)  # 404 unless readable
        found = _with_edited(self.actor, readable_feedback(self.actor)).get(pk=pk)
        return FeedbackSerializer(found).data

    @extend_schema(
        operation_id="feedback_retrieve",
        tags=TAGS,
        responses=FeedbackSerializer,
        description="The recipient reading it marks it read: from then on it cannot change.",
    )
    def get(self, request: Request, org_slug: str, feedback_pk: int) -> Response:
        feedback = get_feedback(self.actor, feedback_pk)
        services.mark_read(actor=self.actor, feedback=feedback)
        return Response(self.data(feedback_pk))

    @extend_schema(
        operation_id="feedback_correct",
        tags=TAGS,
        request=FeedbackCorrectionSerializer,
        responses=FeedbackSerializer,
        description="The giver corrects the text before the recipient has read it; the "
        "earlier text is kept.",
    )
    def patch(self, request: Request, org_slug: str, feedback_pk: int) -> Response:
        feedback = get_feedback(self.actor, feedback_pk)
        data = self.parse(FeedbackCorrectionSerializer, request.data)
        services.correct_feedback(actor=self.actor, feedback=feedback, body=data["body"])
        return Response(self.data(feedback_pk))


def _requests(actor: Actor):
    return FeedbackRequest.objects.filter(org=actor.member.org_id).select_related(
        "requester__user", "about__user", "asked__user"
    )


class FeedbackRequestListView(FeedbackAPIView):
    """Requests asked of you or sent by you; ask colleagues for feedback."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="feedback_requests_list",
        tags=TAGS,
        parameters=[RequestFilterSerializer],
        responses=FeedbackRequestSerializer(many=True),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        filters = self.parse(RequestFilterSerializer, request.query_params)
        me = self.actor.member
        mine = {"asked": Q(asked=me), "sent": Q(requester=me)}
        qs = _requests(self.actor).filter(
            mine.get(filters.get("role"), Q(asked=me) | Q(requester=me))
        )
        if "status" in filters:
            qs = qs.filter(status=filters["status"])
        return self.paginated(request, qs, FeedbackRequestSerializer)

    @extend_schema(
        operation_id="feedback_requests_create",
        tags=TAGS,
        request=FeedbackRequestInputSerializer,
        responses={201: FeedbackRequestSerializer(many=True)},
        description="Ask up to 20 colleagues for feedback on yourself or (a manager) on one "
        "of your reports, optionally about one of their goals. One request per colleague.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(FeedbackRequestInputSerializer, request.data)
        ids = list(dict.fromkeys(data.pop("asked")))
        if len(ids) > services.MAX_ASKED:
            raise ValidationError({"asked": services.ASK_TOO_MANY})
        found = {m.pk: m for m in Membership.objects.filter(org=self.org, pk__in=ids)}
        _goal_in_sight(self.actor, data.get("goal"))
        made = services.request_feedback(
            actor=self.actor, asked=[found.get(pk) for pk in ids], **data
        )
        qs = _requests(self.actor).filter(pk__in=[r.pk for r in made])
        return Response(
            FeedbackRequestSerializer(qs, many=True).data, status=status.HTTP_201_CREATED
        )


class FeedbackRequestDeclineView(FeedbackAPIView):
    @extend_schema(
        operation_id="feedback_requests_decline",
        tags=TAGS,
        request=DeclineSerializer,
        responses=FeedbackRequestSerializer,
        description="The person asked declines an open request, optionally with a reason. "
        "Nobody is notified; the requester sees the status.",
    )
    def post(self, request: Request, org_slug: str, request_pk: int) -> Response:
        found = get_request(self.actor, request_pk)
        data = self.parse(DeclineSerializer, request.data)
        services.decline_request(actor=self.actor, request=found, reason=data["reason"])
        return Response(FeedbackRequestSerializer(get_request(self.actor, request_pk)).data)

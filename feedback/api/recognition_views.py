"""REST API for recognition: the feed, giving kudos, reactions and company values.

The same rules as the pages (feedback.recognition): kudos are public within the
organisation; another organisation's kudos or value is a 404; the services' refusals
are 400s with field errors, an admin-only change by someone else a 403.

Queries: the feed, a count and the page, then the page's recipients, goals and
reaction counts (a member may read their reporting subtree once): a fixed number
whatever the page holds.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from core.params import to_id
from feedback import recognition
from feedback.api.recognition_serializers import (
    ReactionCountSerializer,
    ReactionInputSerializer,
    RecognitionInputSerializer,
    RecognitionSerializer,
    ValueInputSerializer,
    ValueSerializer,
)
from feedback.models import CompanyValue
from goals.access import Actor, request_actor
from goals.api.views import IsMember
from orgs.api import OrgAPIView
from orgs.models import Membership, Unit

TAG = "recognition"
FILTERS = [
    OpenApiParameter("unit", int, description="Kudos to people in this unit or below it."),
    OpenApiParameter("person", int, description="Kudos this membership received."),
    OpenApiParameter("value", int, description="Kudos for this company value."),
]


class RecognitionAPIView(OrgAPIView):
    permission_classes = [IsAuthenticated, IsMember]

    @property
    def actor(self) -> Actor:
        return request_actor(self.request._request)

    def kudos_data(self, pk: int) -> dict:
        kudos = recognition.get_recognition(self.actor, pk)
        recognition.hydrate(self.actor, [kudos])
        return RecognitionSerializer(kudos).data


def _in_org(model, org, raw: str | None):
    """The object of ``org`` whose id is in ``raw``; an id of nothing here filters out all."""
    if raw is None or raw == "":
        return None, False
    pk = to_id(raw.replace("\x00", ""))
    found = model.objects.filter(org=org, pk=pk).first() if pk else None
    return found, found is None


class RecognitionListView(RecognitionAPIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="recognition_list",
        tags=[TAG],
        parameters=FILTERS,
        responses=RecognitionSerializer(many=True),
        description="The organisation's kudos, newest first. An unknown unit, person or "
        "value matches nothing.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        filters = recognition.Filters()
        nothing = False
        for name, model in (("unit", Unit), ("person", Membership), ("value", CompanyValue)):
            found, missing = _in_org(model, self.org, request.query_params.get(name))
            setattr(filters, name, found)
            nothing = nothing or missing
        qs = recognition.feed(org=self.org, filters=filters).select_related("giver__user", "value")
        if nothing:
            qs = qs.none()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        recognition.hydrate(self.actor, page)
        return paginator.get_paginated_response(RecognitionSerializer(page, many=True).data)

    @extend_schema(
        operation_id="recognition_create",
        tags=[TAG],
        request=RecognitionInputSerializer,
        responses={201: RecognitionSerializer},
        description="Give kudos to colleagues (not yourself), optionally for an active "
        f"company value and up to {recognition.MAX_GOALS} of their goals. Each recipient "
        "is notified.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(RecognitionInputSerializer, request.data)
        kudos = recognition.give_kudos(
            actor=self.actor,
            recipients=data["recipients"],
            message=data["message"],
            value=data.get("value"),
            goals=data.get("goals", []),
        )
        return Response(self.kudos_data(kudos.pk), status=status.HTTP_201_CREATED)


class RecognitionDetailView(RecognitionAPIView):
    @extend_schema(operation_id="recognition_retrieve", tags=[TAG], responses=RecognitionSerializer)
    def get(self, request: Request, org_slug: str, recognition_pk: int) -> Response:
        return Response(self.kudos_data(recognition_pk))


class ReactionView(RecognitionAPIView):
    """Your reaction to a kudos: one of each emoji at most."""

    def answer(self, kudos) -> Response:
        recognition.hydrate(self.actor, [kudos])
        return Response(ReactionCountSerializer(kudos.reaction_counts, many=True).data)

    @extend_schema(
        operation_id="recognition_react",
        tags=[TAG],
        request=ReactionInputSerializer,
        responses=ReactionCountSerializer(many=True),
        description="Add your reaction (again: no change). Answers the kudos' reactions.",
    )
    def post(self, request: Request, org_slug: str, recognition_pk: int) -> Response:
        kudos = recognition.get_recognition(self.actor, recognition_pk)
        data = self.parse(ReactionInputSerializer, request.data)
        recognition.react(actor=self.actor, recognition=kudos, emoji=data["emoji"])
        return self.answer(kudos)

    @extend_schema(
        operation_id="recognition_unreact",
        tags=[TAG],
        request=ReactionInputSerializer,
        parameters=[OpenApiParameter("emoji", str, description="Or in the body.")],
        responses=ReactionCountSerializer(many=True),
        description="Take your reaction back (none: no change). Answers the kudos' reactions.",
    )
    def delete(self, request: Request, org_slug: str, recognition_pk: int) -> Response:
        kudos = recognition.get_recognition(self.actor, recognition_pk)
        body = request.data if request.data else request.query_params
        data = self.parse(ReactionInputSerializer, {"emoji": body.get("emoji", "")})
        recognition.unreact(actor=self.actor, recognition=kudos, emoji=data["emoji"])
        return self.answer(kudos)


class ValueListView(RecognitionAPIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="recognition_values_list",
        tags=[TAG],
        responses=ValueSerializer(many=True),
        description="The organisation's company values in their order, archived ones too.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(recognition.values_of(self.org), request, view=self)
        return paginator.get_paginated_response(ValueSerializer(page, many=True).data)

    @extend_schema(
        operation_id="recognition_values_create",
        tags=[TAG],
        request=ValueInputSerializer,
        responses={201: ValueSerializer},
        description="Admins only.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(ValueInputSerializer, request.data)
        data.pop("is_active", None)
        value = recognition.value_create(actor=self.actor, **data)
        return Response(ValueSerializer(value).data, status=status.HTTP_201_CREATED)


class ValueDetailView(RecognitionAPIView):
    @extend_schema(
        operation_id="recognition_values_retrieve", tags=[TAG], responses=ValueSerializer
    )
    def get(self, request: Request, org_slug: str, value_pk: int) -> Response:
        return Response(ValueSerializer(recognition.get_value(self.actor, value_pk)).data)

    @extend_schema(
        operation_id="recognition_values_update",
        tags=[TAG],
        request=ValueInputSerializer(partial=True),
        responses=ValueSerializer,
        description="Admins only. is_active=false archives the value, true restores it.",
    )
    def patch(self, request: Request, org_slug: str, value_pk: int) -> Response:
        value = recognition.get_value(self.actor, value_pk)
        data = self.parse(ValueInputSerializer, request.data, partial=True)
        recognition.value_update(actor=self.actor, value=value, **data)
        return Response(ValueSerializer(value).data)

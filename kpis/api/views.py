"""REST API for KPIs and their measurements.

The same rules as the pages: KPIs load only through ``kpis.access`` (another
organisation's, a missing or a private KPI the caller may not see is a 404), and
every write goes through ``kpis.services``: their ValidationErrors become 400s
with field errors, their PermissionDenied a 403 with the service's message.

A batch of measurements may carry an ``Idempotency-Key`` header. The first
successful answer is stored with the measurements, in one savepoint, under a
unique (organisation, caller, path, key): re-sending the key with the same body
answers the stored status and body and writes nothing; with another body it is a
422. Two sends racing with one key cannot both write: the second insert waits on
the unique index, fails once the first commits, and answers the stored response.
Refused requests (400, 403) store nothing, so a corrected body may reuse its key
only if nothing was saved under it.

Queries (beyond the request's own): the list, a count, the page and the page's
goal links (a non-admin also reads their reporting subtree); the detail, the KPI,
its goal links, its latest measurements and the active cycle; the history, the
KPI, a count and the page.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from goals.access import Actor, request_actor
from goals.api.views import IsMember
from goals.models import Cycle
from kpis import access, forecast, services
from kpis.api.serializers import (
    KpiDetailSerializer,
    KpiInputSerializer,
    KpiSerializer,
    MeasurementBatchSerializer,
    MeasurementSerializer,
)
from kpis.models import GoalKpi, IdempotentRequest, Kpi, Measurement, Source
from kpis.status import meets_target
from orgs.api import OrgAPIView

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
KEY_INVALID = (
    f"The {IDEMPOTENCY_HEADER} header must be 1 to {MAX_KEY_LENGTH} characters "
    "without control characters."
)
KEY_REUSED = (
    f"This {IDEMPOTENCY_HEADER} was already used with a different body. "
    "Send a new key for a new request."
)
FORECAST_DAYS = 90

KEY_PARAMETER = OpenApiParameter(
    name=IDEMPOTENCY_HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=f"Up to {MAX_KEY_LENGTH} characters, unique per batch (a UUID, say). "
    "Re-sending a key with the same body answers as the first time and saves nothing more; "
    "with a different body the answer is a 422.",
)


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = KEY_REUSED
    default_code = "idempotency_key_reused"


class KpisAPIView(OrgAPIView):
    """Base view: ``self.actor`` for the request's membership."""

    permission_classes = [IsAuthenticated, IsMember]

    @property
    def actor(self) -> Actor:
        return request_actor(self.request._request)

    def parse(self, serializer_class: type[serializers.Serializer], data, **kwargs) -> dict:
        serializer = serializer_class(
            data=data, context={"org": self.org, "actor": self.actor}, **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def with_goal_links(self, kpis):
        """Prefetch each KPI's links to the goals the caller can see (one query)."""
        links = GoalKpi.objects.filter(org=self.org, goal__in=self.actor.visible_goals()).only(
            "kpi_id", "goal_id"
        )
        return kpis.prefetch_related(
            Prefetch("goal_links", queryset=links, to_attr="visible_goal_links")
        )

    def kpi_data(self, pk: int) -> dict:
        kpi = access.get_kpi(self.actor, pk)
        kpi.visible_goal_links = list(
            GoalKpi.objects.filter(org=self.org, kpi=kpi, goal__in=self.actor.visible_goals()).only(
                "kpi_id", "goal_id"
            )
        )
        kpi.forecast = forecast_data(kpi)
        return KpiDetailSerializer(kpi).data


def forecast_by(org_id: int, today: date) -> date:
    """The end of the organisation's active cycle, or FORECAST_DAYS ahead."""
    end = (
        Cycle.objects.filter(
            org=org_id, status=Cycle.Status.ACTIVE, start__lte=today, end__gte=today
        )
        .order_by("end")
        .values_list("end", flat=True)
        .first()
    )
    return end or today + timedelta(days=FORECAST_DAYS)


def forecast_data(kpi: Kpi) -> dict | None:
    recent = (
        Measurement.objects.filter(org=kpi.org_id, kpi=kpi, is_current=True)
        .order_by("-measured_at", "-pk")
        .values_list("measured_at", "value")[: forecast.RECENT]
    )
    points = [(when, float(value)) for when, value in recent]
    if len(points) < forecast.MIN_POINTS:
        return None
    by = forecast_by(kpi.org_id, timezone.localdate())
    projection = forecast.project(points, by, lambda value: meets_target(kpi, value))
    if projection is None:
        return None
    target = f"{kpi.target.normalize():f}"
    return {
        "value": projection.value,
        "by": projection.by,
        "reaches": projection.reaches,
        "points": projection.points,
        "sentence": projection.sentence(target, unit=kpi.unit_label),
    }


class KpiListView(KpisAPIView):
    """The KPIs you can see: public ones, your own and your reports' private ones."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="kpis_list",
        tags=["kpis"],
        responses=KpiSerializer(many=True),
        description="By name, with each KPI's latest value and status.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        kpis = access.visible_kpis(self.actor).order_by("name", "pk")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(self.with_goal_links(kpis), request, view=self)
        return paginator.get_paginated_response(KpiSerializer(page, many=True).data)

    @extend_schema(
        operation_id="kpis_create",
        tags=["kpis"],
        request=KpiInputSerializer,
        responses={201: KpiDetailSerializer},
        description="Admins create KPIs for anyone; others only KPIs they own.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(KpiInputSerializer, request.data)
        kpi = services.create_kpi(actor=self.actor, **data)
        return Response(self.kpi_data(kpi.pk), status=status.HTTP_201_CREATED)


class KpiDetailView(KpisAPIView):
    """One KPI with its latest value, status and forecast."""

    @extend_schema(operation_id="kpis_retrieve", tags=["kpis"], responses=KpiDetailSerializer)
    def get(self, request: Request, org_slug: str, kpi_pk: int) -> Response:
        return Response(self.kpi_data(kpi_pk))

    @extend_schema(
        operation_id="kpis_update",
        tags=["kpis"],
        request=KpiInputSerializer(partial=True),
        responses=KpiDetailSerializer,
        description="Admins, the owner and the owner's managers. goals, when sent, replaces "
        "the list of goals the KPI informs.",
    )
    def patch(self, request: Request, org_slug: str, kpi_pk: int) -> Response:
        kpi = access.get_kpi(self.actor, kpi_pk, for_update=True)
        data = self.parse(KpiInputSerializer, request.data, partial=True)
        services.update_kpi(actor=self.actor, kpi=kpi, **data)
        return Response(self.kpi_data(kpi_pk))


def idempotency_key(request: Request) -> str | None:
    """The request's key; a 400 when it is empty, too long or has control characters."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 0 < len(key) <= MAX_KEY_LENGTH or any(
        unicodedata.category(char) == "Cc" for char in key
    ):
        raise ValidationError({IDEMPOTENCY_HEADER: [KEY_INVALID]})
    return key


def body_hash(data) -> str:
    """sha256 of the body as canonical JSON (sorted keys, no spaces)."""
    if hasattr(data, "lists"):  # a form body: every value of every name
        data = {name: values for name, values in data.lists()}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class MeasurementListView(KpisAPIView):
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="kpi_measurements_list",
        tags=["kpis"],
        responses=MeasurementSerializer(many=True),
        description="The KPI's current values, newest first (corrected values are left out; "
        "replaces names the one each corrected).",
    )
    def get(self, request: Request, org_slug: str, kpi_pk: int) -> Response:
        kpi = access.get_kpi(self.actor, kpi_pk)
        measurements = Measurement.objects.filter(org=self.org, kpi=kpi, is_current=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            measurements.order_by("-measured_at", "-pk"), request, view=self
        )
        return paginator.get_paginated_response(MeasurementSerializer(page, many=True).data)

    @extend_schema(
        operation_id="kpi_measurements_create",
        tags=["kpis"],
        parameters=[KEY_PARAMETER],
        request=MeasurementBatchSerializer,
        responses={
            201: MeasurementSerializer(many=True),
            422: OpenApiResponse(description=KEY_REUSED),
        },
        description="Add a batch of values, all or nothing; answers with the rows created. "
        "A bad row is a 400 naming it by its index: "
        '{"measurements": {"2": {"value": ["Enter a number, for example 12.5."]}}}. '
        "A KPI computed from child KPIs takes no values (400). Admins, the owner and the "
        "owner's managers. With an Idempotency-Key, a repeated send answers as the first "
        "did (header Idempotent-Replayed: true) and saves nothing.",
    )
    def post(self, request: Request, org_slug: str, kpi_pk: int) -> Response:
        kpi = access.get_kpi(self.actor, kpi_pk)
        key = idempotency_key(request)
        if key is None:
            return self.record(kpi, request.data)
        digest = body_hash(request.data)
        stored = self.stored(request, key)
        if stored is None:
            try:
                with transaction.atomic():
                    # First: a racing send with this key waits here, then fails.
                    claim = IdempotentRequest.objects.create(
                        org=self.org,
                        membership=self.membership,
                        path=request.path[:300],
                        key=key,
                        request_hash=digest,
                        status_code=0,
                        response=[],
                    )
                    response = self.record(kpi, request.data)
                    claim.status_code, claim.response = response.status_code, response.data
                    claim.save(update_fields=["status_code", "response"])
                    return response
            except IntegrityError:
                stored = self.stored(request, key)
                if stored is None:  # pragma: no cover - the unique row vanished
                    raise
        if stored.request_hash != digest:
            raise KeyReused()
        response = Response(stored.response, status=stored.status_code)
        response["Idempotent-Replayed"] = "true"
        return response

    def stored(self, request: Request, key: str) -> IdempotentRequest | None:
        return IdempotentRequest.objects.filter(
            org=self.org, membership=self.membership, path=request.path[:300], key=key
        ).first()

    def record(self, kpi: Kpi, data) -> Response:
        batch = MeasurementBatchSerializer(data=data)
        batch.is_valid(raise_exception=True)
        created = services.record_measurements(
            actor=self.actor, kpi=kpi, rows=batch.rows(), source=Source.API
        )
        return Response(
            MeasurementSerializer(created, many=True).data, status=status.HTTP_201_CREATED
        )

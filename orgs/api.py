"""REST API for the organisation, its units, its people and its invitations.

People join only by accepting an invitation: the API, like the pages, never adds
an existing account to the organisation by itself.

Every view runs inside TenantMiddleware: the organisation and the caller's
membership are resolved and the transaction serves that organisation. Objects
load through the org-scoped selectors, ids sent in a body resolve within the
organisation only, and writes go through the services.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from orgs import selectors, services
from orgs.forms import CYCLE_DAYS_RANGE, REMINDER_HOUR_RANGE
from orgs.models import Invitation, Membership, Organization, Role, Unit

ADMIN_ONLY = "Only admins of this organisation can do this."
MEMBERSHIP_STATUSES = ["active", "inactive", "all"]


class MembersReadAdminsWrite(BasePermission):
    message = ADMIN_ONLY

    def has_permission(self, request: Request, view: APIView) -> bool:
        membership = getattr(view, "membership", None)
        if membership is None:
            return False
        return request.method in SAFE_METHODS or membership.is_admin


class AdminsOnly(BasePermission):
    message = ADMIN_ONLY

    def has_permission(self, request: Request, view: APIView) -> bool:
        membership = getattr(view, "membership", None)
        return membership is not None and membership.is_admin


class OrgAPIView(APIView):
    """Base view: the request's organisation and membership as ``self.org``/``self.membership``."""

    permission_classes = [IsAuthenticated, MembersReadAdminsWrite]
    org: Organization | None = None
    membership: Membership | None = None

    def initial(self, request: Request, *args, **kwargs) -> None:
        self.org = getattr(request._request, "org", None)
        self.membership = getattr(request._request, "membership", None)
        super().initial(request, *args, **kwargs)

    def parse(self, serializer_class: type[serializers.Serializer], data, **kwargs) -> dict:
        """Validate input with ``serializer_class``; a 400 with field errors when invalid."""
        serializer = serializer_class(data=data, context={"org": self.org}, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class InOrgField(serializers.PrimaryKeyRelatedField):
    """An id looked up within the request's organisation only: another organisation's
    id gets the same answer as one that does not exist."""

    default_error_messages = {"does_not_exist": services.OTHER_ORG}

    def __init__(self, **kwargs) -> None:
        super().__init__(pk_field=serializers.IntegerField(), **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(org=self.context["org"])


# --- Organisation -------------------------------------------------------------


class OrganizationSerializer(serializers.ModelSerializer):
    reminder_hour = serializers.IntegerField(
        min_value=0,
        max_value=23,
        required=False,
        help_text="Review reminders go out from this hour (0-23) in the organisation's time zone.",
        error_messages={
            "min_value": REMINDER_HOUR_RANGE,
            "max_value": REMINDER_HOUR_RANGE,
            "invalid": REMINDER_HOUR_RANGE,
            "max_string_length": REMINDER_HOUR_RANGE,
        },
    )
    cycle_reminder_days = serializers.IntegerField(
        min_value=1,
        max_value=60,
        required=False,
        help_text="Owners are reminded to make final check-ins this many days before a cycle ends.",
        error_messages={
            "min_value": CYCLE_DAYS_RANGE,
            "max_value": CYCLE_DAYS_RANGE,
            "invalid": CYCLE_DAYS_RANGE,
            "max_string_length": CYCLE_DAYS_RANGE,
        },
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "slug",
            "timezone",
            "checkin_cadence",
            "reminder_hour",
            "cycle_reminder_days",
        ]
        read_only_fields = ["id", "slug"]


class OrganizationView(OrgAPIView):
    """The organisation: its name, time zone, check-in cadence and reminder timing."""

    @extend_schema(
        operation_id="org_retrieve", tags=["organisation"], responses=OrganizationSerializer
    )
    def get(self, request: Request, org_slug: str) -> Response:
        return Response(OrganizationSerializer(self.org).data)

    @extend_schema(
        operation_id="org_update",
        tags=["organisation"],
        request=OrganizationSerializer,
        responses=OrganizationSerializer,
        description="Admins only.",
    )
    def patch(self, request: Request, org_slug: str) -> Response:
        org = self.org
        data = self.parse(OrganizationSerializer, request.data, partial=True)
        services.org_update(
            org=org,
            name=data.get("name", org.name),
            timezone_name=data.get("timezone", org.timezone),
            checkin_cadence=data.get("checkin_cadence", org.checkin_cadence),
            reminder_hour=data.get("reminder_hour"),
            cycle_reminder_days=data.get("cycle_reminder_days"),
        )
        return Response(OrganizationSerializer(org).data)


# --- Units --------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    depth = serializers.IntegerField(
        source="tree_depth", read_only=True, help_text="0 for a top-level unit."
    )
    path = serializers.CharField(
        read_only=True, help_text="Unit names from the top, such as “Acme/Engineering”."
    )

    class Meta:
        model = Unit
        fields = ["id", "name", "parent", "lead", "depth", "path"]
        read_only_fields = ["id", "name", "parent", "lead"]
        extra_kwargs = {"lead": {"help_text": "The lead's membership id."}}


class UnitInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    parent = InOrgField(
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        help_text="The unit this one is part of; null for a top-level unit.",
    )
    lead = InOrgField(
        queryset=Membership.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="The lead's membership id.",
    )


class UnitDeleteSerializer(serializers.Serializer):
    move_people_to = InOrgField(queryset=Unit.objects.all(), required=False, allow_null=True)
    move_goals_to = InOrgField(queryset=Unit.objects.all(), required=False, allow_null=True)


def _unit_with_path(unit: Unit) -> Unit:
    """Set ``tree_depth`` and ``path`` on one unit: two queries."""
    names = [u.name for u in unit.ancestors(include_self=True)]
    unit.tree_depth = len(names) - 1
    unit.path = "/".join(names)
    return unit


class UnitListView(OrgAPIView):
    """The organisation's units: companies, divisions, departments and teams."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="units_list",
        tags=["units"],
        responses=UnitSerializer(many=True),
        description="Every unit, depth first with siblings by name.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        paginator = self.pagination_class()
        units = paginator.paginate_queryset(selectors.unit_tree(org=self.org), request, view=self)
        paths = selectors.unit_paths(org=self.org)
        for unit in units:
            unit.path = paths.get(unit.pk, unit.name)
        return paginator.get_paginated_response(UnitSerializer(units, many=True).data)

    @extend_schema(
        operation_id="units_create",
        tags=["units"],
        request=UnitInputSerializer,
        responses={201: UnitSerializer},
        description="Admins only.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(UnitInputSerializer, request.data)
        unit = services.unit_create(org=self.org, **data)
        return Response(UnitSerializer(_unit_with_path(unit)).data, status=status.HTTP_201_CREATED)


class UnitDetailView(OrgAPIView):
    """One unit."""

    @extend_schema(operation_id="units_retrieve", tags=["units"], responses=UnitSerializer)
    def get(self, request: Request, org_slug: str, unit_pk: int) -> Response:
        unit = selectors.get_unit(org=self.org, pk=unit_pk)
        return Response(UnitSerializer(_unit_with_path(unit)).data)

    @extend_schema(
        operation_id="units_update",
        tags=["units"],
        request=UnitInputSerializer,
        responses=UnitSerializer,
        description="Admins only.",
    )
    def patch(self, request: Request, org_slug: str, unit_pk: int) -> Response:
        unit = selectors.get_unit(org=self.org, pk=unit_pk)
        data = self.parse(UnitInputSerializer, request.data, partial=True)
        fields = {"name": unit.name, "parent": unit.parent, "lead": unit.lead, **data}
        services.unit_update(unit=unit, **fields)
        return Response(UnitSerializer(_unit_with_path(unit)).data)

    @extend_schema(
        operation_id="units_destroy",
        tags=["units"],
        parameters=[
            OpenApiParameter(
                "move_people_to",
                int,
                description="The unit that receives this unit's people (required when it has "
                "any); may also be sent as a body field. Sub-units move up to the parent.",
            ),
            OpenApiParameter(
                "move_goals_to",
                int,
                description="The unit that receives this unit's goals (by default its parent; "
                "required for a top-level unit with goals); may also be sent as a body field.",
            ),
        ],
        responses={204: None},
        description="Admins only.",
    )
    def delete(self, request: Request, org_slug: str, unit_pk: int) -> Response:
        unit = selectors.get_unit(org=self.org, pk=unit_pk)
        data = self.parse(UnitDeleteSerializer, request.data or request.query_params)
        services.unit_delete(
            unit=unit,
            move_people_to=data.get("move_people_to"),
            move_goals_to=data.get("move_goals_to"),
            actor=self.membership,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Memberships --------------------------------------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "email", "full_name", "role", "title", "unit", "manager", "is_active"]
        read_only_fields = ["id", "role", "title", "unit", "manager", "is_active"]
        extra_kwargs = {"manager": {"help_text": "The manager's membership id."}}


class MembershipInputSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    title = serializers.CharField(max_length=120, allow_blank=True, required=False)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    unit = InOrgField(queryset=Unit.objects.all(), required=False, allow_null=True)
    manager = InOrgField(
        queryset=Membership.objects.all(),
        required=False,
        allow_null=True,
        help_text="The manager's membership id.",
    )
    is_active = serializers.BooleanField(
        required=False,
        help_text="false deactivates: their reports move up to their manager, "
        "the units they lead lose their lead and their API tokens are revoked.",
    )


class MembershipFilterSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="Search name, email, title."
    )
    unit = InOrgField(
        queryset=Unit.objects.all(),
        required=False,
        help_text="People in this unit or any of its sub-units.",
    )
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    status = serializers.ChoiceField(choices=MEMBERSHIP_STATUSES, default="active")


class MembershipListView(OrgAPIView):
    """The people in the organisation."""

    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="memberships_list",
        tags=["memberships"],
        parameters=[MembershipFilterSerializer],
        responses=MembershipSerializer(many=True),
        description="People by name, then email.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        filters = self.parse(MembershipFilterSerializer, request.query_params)
        people = selectors.people(
            org=self.org,
            search=filters.get("q", ""),
            unit=filters.get("unit"),
            role=filters.get("role", ""),
            status=filters["status"],
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(people, request, view=self)
        return paginator.get_paginated_response(MembershipSerializer(page, many=True).data)


class MembershipDetailView(OrgAPIView):
    """One person in the organisation: role, title, unit and manager."""

    @extend_schema(
        operation_id="memberships_retrieve", tags=["memberships"], responses=MembershipSerializer
    )
    def get(self, request: Request, org_slug: str, membership_pk: int) -> Response:
        person = selectors.get_membership(org=self.org, pk=membership_pk)
        return Response(MembershipSerializer(person).data)

    @extend_schema(
        operation_id="memberships_update",
        tags=["memberships"],
        request=MembershipInputSerializer,
        responses=MembershipSerializer,
        description="Admins only.",
    )
    def patch(self, request: Request, org_slug: str, membership_pk: int) -> Response:
        person = selectors.get_membership(org=self.org, pk=membership_pk)
        data = self.parse(MembershipInputSerializer, request.data, partial=True)
        active = data.pop("is_active", None)
        # Two services, one request: a refusal by the second undoes the first.
        with transaction.atomic():
            if data:
                fields = {
                    "role": person.role,
                    "title": person.title,
                    "unit": person.unit,
                    "manager": person.manager,
                    **data,
                }
                services.membership_update(membership=person, **fields)
            if active is not None and active != person.is_active:
                services.membership_set_active(membership=person, active=active)
        return Response(MembershipSerializer(person).data)


# --- Invitations --------------------------------------------------------------


class InvitationSerializer(serializers.ModelSerializer):
    is_expired = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "full_name",
            "role",
            "unit",
            "manager",
            "created_at",
            "expires_at",
            "is_expired",
        ]
        read_only_fields = fields

    def get_is_expired(self, invitation: Invitation) -> bool:
        return not invitation.is_usable


class InvitationInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    unit = InOrgField(queryset=Unit.objects.all(), required=False, allow_null=True)
    manager = InOrgField(
        queryset=Membership.objects.all(),
        required=False,
        allow_null=True,
        help_text="The manager's membership id.",
    )


class InvitationListView(OrgAPIView):
    """Invitations waiting for an answer; inviting someone. Admins only."""

    permission_classes = [IsAuthenticated, AdminsOnly]
    pagination_class = api_settings.DEFAULT_PAGINATION_CLASS

    @extend_schema(
        operation_id="invitations_list",
        tags=["invitations"],
        responses=InvitationSerializer(many=True),
        description="Pending invitations, newest first (expired ones included). Admins only.",
    )
    def get(self, request: Request, org_slug: str) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.invitations_pending(org=self.org), request, view=self
        )
        return paginator.get_paginated_response(InvitationSerializer(page, many=True).data)

    @extend_schema(
        operation_id="invitations_create",
        tags=["invitations"],
        request=InvitationInputSerializer,
        responses={201: InvitationSerializer},
        description="Email a one-time link. The person joins when they accept it, whether "
        "or not they have an account already. Admins only.",
    )
    def post(self, request: Request, org_slug: str) -> Response:
        data = self.parse(InvitationInputSerializer, request.data)
        invitation = services.invitation_create(org=self.org, invited_by=self.membership, **data)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationDetailView(OrgAPIView):
    """One pending invitation: read or withdraw it. Admins only."""

    permission_classes = [IsAuthenticated, AdminsOnly]

    @extend_schema(
        operation_id="invitations_retrieve", tags=["invitations"], responses=InvitationSerializer
    )
    def get(self, request: Request, org_slug: str, invitation_pk: int) -> Response:
        invitation = selectors.get_pending_invitation(org=self.org, pk=invitation_pk)
        return Response(InvitationSerializer(invitation).data)

    @extend_schema(operation_id="invitations_destroy", tags=["invitations"], responses={204: None})
    def delete(self, request: Request, org_slug: str, invitation_pk: int) -> Response:
        invitation = selectors.get_pending_invitation(org=self.org, pk=invitation_pk)
        services.invitation_revoke(invitation=invitation)
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationResendView(OrgAPIView):
    """Send a pending invitation again with a new link. Admins only."""

    permission_classes = [IsAuthenticated, AdminsOnly]

    @extend_schema(
        operation_id="invitations_resend",
        tags=["invitations"],
        request=None,
        responses=InvitationSerializer,
        description="The previous link stops working; the new one is valid from today.",
    )
    def post(self, request: Request, org_slug: str, invitation_pk: int) -> Response:
        invitation = selectors.get_pending_invitation(org=self.org, pk=invitation_pk)
        invitation = services.invitation_resend(invitation=invitation)
        return Response(InvitationSerializer(invitation).data)

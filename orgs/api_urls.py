from __future__ import annotations

from django.urls import path

from orgs import api

# Mounted under /api/v1/orgs/<slug:org_slug>/
app_name = "orgs_api"

urlpatterns = [
    path("", api.OrganizationView.as_view(), name="api_org"),
    path("units/", api.UnitListView.as_view(), name="api_units"),
    path("units/<int:unit_pk>/", api.UnitDetailView.as_view(), name="api_unit"),
    path("memberships/", api.MembershipListView.as_view(), name="api_memberships"),
    path(
        "memberships/<int:membership_pk>/",
        api.MembershipDetailView.as_view(),
        name="api_membership",
    ),
    path("invitations/", api.InvitationListView.as_view(), name="api_invitations"),
    path(
        "invitations/<int:invitation_pk>/",
        api.InvitationDetailView.as_view(),
        name="api_invitation",
    ),
    path(
        "invitations/<int:invitation_pk>/resend/",
        api.InvitationResendView.as_view(),
        name="api_invitation_resend",
    ),
]

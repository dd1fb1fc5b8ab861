from __future__ import annotations

from django.urls import path

from orgs import views, views_csv, views_jobs, views_profile

# Mounted under /o/<slug:org_slug>/
app_name = "orgs"

urlpatterns = [
    path("", views.org_home, name="org_home"),
    path("units/", views.units, name="units"),
    path("units/<int:unit_pk>/row/", views.unit_row, name="unit_row"),
    path("units/<int:unit_pk>/rename/", views.unit_rename, name="unit_rename"),
    path("units/<int:unit_pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:unit_pk>/delete/", views.unit_delete, name="unit_delete"),
    path("people/", views.people, name="people"),
    path("people/search/", views_profile.people_search, name="people_search"),
    path("people/import/", views_csv.people_import, name="people_import"),
    path("people/invite/", views.person_invite, name="person_invite"),
    path(
        "people/invitations/<int:invitation_pk>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "people/invitations/<int:invitation_pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("people/<int:membership_pk>/", views.person_edit, name="person_edit"),
    path("people/<int:membership_pk>/active/", views.person_set_active, name="person_set_active"),
    path("join/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("profile/", views_profile.profile, name="profile"),
    path("profile/password/", views_profile.password_change, name="password_change"),
    path("settings/", views.org_settings, name="org_settings"),
    path("settings/tokens/", views.api_tokens, name="api_tokens"),
    path("settings/jobs/", views_jobs.jobs, name="jobs"),
    path("settings/jobs/run/", views_jobs.job_run_now, name="job_run_now"),
    path("settings/tokens/<int:token_pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]

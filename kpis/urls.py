from __future__ import annotations

from django.urls import path

from kpis import views

# Mounted under /o/<slug:org_slug>/
app_name = "kpis"

urlpatterns = [
    path("kpis/", views.kpi_list, name="kpi_list"),
    path("kpis/new/", views.kpi_create, name="kpi_create"),
    path("kpis/<int:kpi_pk>/", views.kpi_detail, name="kpi_detail"),
    path("kpis/<int:kpi_pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path(
        "kpis/<int:kpi_pk>/measurements/new/",
        views.kpi_measurement_new,
        name="kpi_measurement_new",
    ),
    path("kpis/<int:kpi_pk>/upload/", views.kpi_upload, name="kpi_upload"),
    path(
        "kpis/measurements/<int:measurement_pk>/correct/",
        views.kpi_measurement_correct,
        name="kpi_measurement_correct",
    ),
]

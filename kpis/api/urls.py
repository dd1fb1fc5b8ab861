from __future__ import annotations

from django.urls import path

from kpis.api import views as api

# Mounted under /api/v1/orgs/<slug:org_slug>/
app_name = "kpis_api"

urlpatterns = [
    path("kpis/", api.KpiListView.as_view(), name="api_kpis"),
    path("kpis/<int:kpi_pk>/", api.KpiDetailView.as_view(), name="api_kpi"),
    path(
        "kpis/<int:kpi_pk>/measurements/",
        api.MeasurementListView.as_view(),
        name="api_kpi_measurements",
    ),
]

from __future__ import annotations

from django.urls import path

from feedback.api import recognition_views as api

# Mounted under /api/v1/orgs/<slug:org_slug>/
urlpatterns: list = [
    path("recognition/", api.RecognitionListView.as_view(), name="api_recognition"),
    path(
        "recognition/<int:recognition_pk>/",
        api.RecognitionDetailView.as_view(),
        name="api_recognition_detail",
    ),
    path(
        "recognition/<int:recognition_pk>/reactions/",
        api.ReactionView.as_view(),
        name="api_recognition_reactions",
    ),
    path("values/", api.ValueListView.as_view(), name="api_values"),
    path("values/<int:value_pk>/", api.ValueDetailView.as_view(), name="api_value"),
]

from __future__ import annotations

from django.urls import path

from feedback.api import feedback_views as api

# Mounted under /api/v1/orgs/<slug:org_slug>/
urlpatterns: list = [
    path("feedback/", api.FeedbackListView.as_view(), name="api_feedback_list"),
    path("feedback/<int:feedback_pk>/", api.FeedbackDetailView.as_view(), name="api_feedback"),
    path(
        "feedback-requests/",
        api.FeedbackRequestListView.as_view(),
        name="api_feedback_requests",
    ),
    path(
        "feedback-requests/<int:request_pk>/decline/",
        api.FeedbackRequestDeclineView.as_view(),
        name="api_feedback_request_decline",
    ),
]

from __future__ import annotations

from django.urls import path

from feedback.api import thread_views as views

# Mounted under /api/v1/orgs/<slug:org_slug>/
urlpatterns = [
    path(
        "goals/<int:goal_pk>/comments/",
        views.CommentListView.as_view(),
        name="api_goal_comments",
    ),
    path("comments/<int:comment_pk>/", views.CommentDetailView.as_view(), name="api_comment"),
]

from __future__ import annotations

from django.urls import path

from feedback import views_threads as views

# Mounted under /o/<slug:org_slug>/
app_name = "threads"

urlpatterns = [
    path("goals/<int:goal_pk>/comments/", views.thread, name="thread"),
    path("comments/<int:comment_pk>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:comment_pk>/remove/", views.comment_remove, name="comment_remove"),
    path("comments/mentions/", views.mention_search, name="mention_search"),
]

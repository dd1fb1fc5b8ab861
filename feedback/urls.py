from __future__ import annotations

from django.urls import path

from feedback import views

# Mounted under /o/<slug:org_slug>/
app_name = "feedback"

urlpatterns = [
    path("feedback/", views.feedback_home, name="feedback_home"),
    path("feedback/give/", views.give, name="give"),
    path("feedback/request/", views.request_new, name="request"),
    path("feedback/people/", views.people_options, name="people_options"),
    path("feedback/goal-options/", views.goal_options, name="goal_options"),
    path("feedback/<int:feedback_pk>/", views.feedback_detail, name="feedback_detail"),
    path("feedback/<int:feedback_pk>/correct/", views.feedback_correct, name="feedback_correct"),
    path("feedback/requests/<int:request_pk>/", views.request_detail, name="request_detail"),
    path(
        "feedback/requests/<int:request_pk>/decline/",
        views.request_decline,
        name="request_decline",
    ),
    path("feedback/goals/<int:goal_pk>/", views.goal_feedback, name="feedback_on_goal"),
    path("colleagues/<int:membership_pk>/", views.person, name="person"),
]

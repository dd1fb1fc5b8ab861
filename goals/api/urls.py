from __future__ import annotations

from django.urls import path

from goals.api import views as api

# Mounted under /api/v1/orgs/<slug:org_slug>/
app_name = "goals_api"

urlpatterns = [
    path("cycles/", api.CycleListView.as_view(), name="api_cycles"),
    path("cycles/<int:cycle_pk>/", api.CycleDetailView.as_view(), name="api_cycle"),
    path("goals/", api.GoalListView.as_view(), name="api_goals"),
    path("goals/<int:goal_pk>/", api.GoalDetailView.as_view(), name="api_goal"),
    path("goals/<int:goal_pk>/submit/", api.GoalSubmitView.as_view(), name="api_goal_submit"),
    path("goals/<int:goal_pk>/approve/", api.GoalApproveView.as_view(), name="api_goal_approve"),
    path(
        "goals/<int:goal_pk>/request-changes/",
        api.GoalRequestChangesView.as_view(),
        name="api_goal_request_changes",
    ),
    path("goals/<int:goal_pk>/complete/", api.GoalCompleteView.as_view(), name="api_goal_complete"),
    path("goals/<int:goal_pk>/cancel/", api.GoalCancelView.as_view(), name="api_goal_cancel"),
    path("goals/<int:goal_pk>/explain/", api.GoalExplainView.as_view(), name="api_goal_explain"),
    path("goals/<int:goal_pk>/events/", api.GoalEventListView.as_view(), name="api_goal_events"),
    path("goals/<int:goal_pk>/cascade/", api.GoalCascadeView.as_view(), name="api_goal_cascade"),
    path("key-results/", api.KeyResultListView.as_view(), name="api_key_results"),
    path("key-results/<int:kr_pk>/", api.KeyResultDetailView.as_view(), name="api_key_result"),
    path(
        "key-results/<int:kr_pk>/check-ins/",
        api.CheckInListView.as_view(),
        name="api_check_ins",
    ),
    path("milestones/<int:milestone_pk>/", api.MilestoneView.as_view(), name="api_milestone"),
    path("tree/", api.GoalTreeView.as_view(), name="api_goal_tree"),
]

from __future__ import annotations

from django.urls import path

from goals import (
    views_approval,
    views_checkin,
    views_cycles,
    views_goal,
    views_team,
    views_tree,
)

# Mounted under /o/<slug:org_slug>/
app_name = "goals"

urlpatterns = [
    # Goal pages (views_goal)
    path("goals/new/", views_goal.goal_create, name="goal_create"),
    path("goals/smart-check/", views_goal.smart_check, name="smart_check"),
    path("goals/<int:goal_pk>/", views_goal.goal_detail, name="goal_detail"),
    path("goals/<int:goal_pk>/edit/", views_goal.goal_edit, name="goal_edit"),
    path("goals/<int:goal_pk>/status/", views_goal.goal_transition, name="goal_transition"),
    path("goals/<int:goal_pk>/key-results/new/", views_goal.kr_create, name="kr_create"),
    path("goals/key-results/<int:kr_pk>/edit/", views_goal.kr_edit, name="kr_edit"),
    # Check-ins (views_checkin)
    path("goals/mine/", views_checkin.my_goals, name="my_goals"),
    path("goals/team/", views_team.team_goals_page, name="team_goals"),
    path(
        "goals/key-results/<int:kr_pk>/history/",
        views_checkin.kr_history,
        name="kr_history",
    ),
    path("goals/key-results/<int:kr_pk>/check-in/", views_checkin.checkin, name="checkin"),
    path(
        "goals/milestones/<int:milestone_pk>/toggle/",
        views_checkin.milestone_toggle,
        name="milestone_toggle",
    ),
    # Cascading and approval (views_approval)
    path("goals/<int:goal_pk>/cascade/", views_approval.goal_cascade, name="goal_cascade"),
    path("goals/<int:goal_pk>/approve/", views_approval.goal_approve, name="goal_approve"),
    path(
        "goals/<int:goal_pk>/request-changes/",
        views_approval.goal_request_changes,
        name="goal_request_changes",
    ),
    path("goals/approvals/", views_approval.approvals, name="approvals"),
    path("goals/approvals/bulk/", views_approval.approvals_bulk, name="approvals_bulk"),
    # The cascade tree and alignment (views_tree)
    path("goals/tree/", views_tree.goal_tree, name="goal_tree"),
    path(
        "goals/tree/<int:goal_pk>/children/",
        views_tree.goal_tree_children,
        name="goal_tree_children",
    ),
    path("goals/alignment/", views_tree.alignment_report, name="alignment_report"),
    # Cycles (views_cycles)
    path("cycles/", views_cycles.cycles, name="cycles"),
    path("cycles/<int:cycle_pk>/edit/", views_cycles.cycle_edit, name="cycle_edit"),
]

from __future__ import annotations

from django.urls import path

from goals.views import approval, checkin, cycles, goal, team, tree

# Mounted under /o/<slug:org_slug>/
app_name = "goals"

urlpatterns = [
    # Goal pages (views/goal.py)
    path("goals/new/", goal.goal_create, name="goal_create"),
    path("goals/smart-check/", goal.smart_check, name="smart_check"),
    path("goals/<int:goal_pk>/", goal.goal_detail, name="goal_detail"),
    path("goals/<int:goal_pk>/edit/", goal.goal_edit, name="goal_edit"),
    path("goals/<int:goal_pk>/status/", goal.goal_transition, name="goal_transition"),
    path("goals/<int:goal_pk>/key-results/new/", goal.kr_create, name="kr_create"),
    path("goals/key-results/<int:kr_pk>/edit/", goal.kr_edit, name="kr_edit"),
    # Check-ins (views/checkin.py)
    path("goals/mine/", checkin.my_goals, name="my_goals"),
    path("goals/team/", team.team_goals_page, name="team_goals"),
    path(
        "goals/key-results/<int:kr_pk>/history/",
        checkin.kr_history,
        name="kr_history",
    ),
    path("goals/key-results/<int:kr_pk>/check-in/", checkin.checkin, name="checkin"),
    path(
        "goals/milestones/<int:milestone_pk>/toggle/",
        checkin.milestone_toggle,
        name="milestone_toggle",
    ),
    # Cascading and approval (views/approval.py)
    path("goals/<int:goal_pk>/cascade/", approval.goal_cascade, name="goal_cascade"),
    path("goals/<int:goal_pk>/approve/", approval.goal_approve, name="goal_approve"),
    path(
        "goals/<int:goal_pk>/request-changes/",
        approval.goal_request_changes,
        name="goal_request_changes",
    ),
    path("goals/approvals/", approval.approvals, name="approvals"),
    path("goals/approvals/bulk/", approval.approvals_bulk, name="approvals_bulk"),
    # The cascade tree and alignment (views/tree.py)
    path("goals/tree/", tree.goal_tree, name="goal_tree"),
    path(
        "goals/tree/<int:goal_pk>/children/",
        tree.goal_tree_children,
        name="goal_tree_children",
    ),
    path("goals/alignment/", tree.alignment_report, name="alignment_report"),
    # Cycles (views/cycles.py)
    path("cycles/", cycles.cycles, name="cycles"),
    path("cycles/<int:cycle_pk>/edit/", cycles.cycle_edit, name="cycle_edit"),
]

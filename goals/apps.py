from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"
    verbose_name = "Goals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import nav
        from goals.access import may_approve, may_see_team

        nav.register(
            nav.NavEntry(
                "my_goals",
                "My goals",
                "goals:my_goals",
                order=10,
                url_names=frozenset({"my_goals", "checkin", "milestone_toggle"}),
            ),
            nav.NavEntry(
                "goals",
                "Goals",
                "goals:goal_tree",
                order=20,
                url_prefixes=("goal", "kr_", "smart", "alignment"),
            ),
            nav.NavEntry(
                "team",
                "Team",
                "goals:team_goals",
                order=30,
                visible=may_see_team,
                url_names=frozenset({"team_goals"}),
            ),
            nav.NavEntry(
                "approvals",
                "Approvals",
                "goals:approvals",
                order=40,
                visible=may_approve,
                url_names=frozenset(
                    {"approvals", "approvals_bulk", "goal_approve", "goal_request_changes"}
                ),
            ),
        )
        nav.add_pages("settings", "cycles", "cycle_edit")

        from goals import reminders

        reminders.register()

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import nav
        from notifications.selectors import unread_count

        nav.add_membership_fact("unread_notifications", unread_count)

        from core import periodic
        from notifications import reminders

        periodic.register(
            periodic.PeriodicJob(
                name="reminders",
                title="Review reminders",
                run=reminders.review_reminders,
                every=3600,
                period=periodic.daily,
                due=periodic.in_the_morning,
                summary=reminders.review_summary,
            ),
            periodic.PeriodicJob(
                name="cycle_reminders",
                title="Cycle reminders",
                run=reminders.cycle_reminders,
                every=3600,
                period=periodic.daily,
                due=periodic.in_the_morning,
                summary=reminders.cycle_summary,
            ),
        )

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import nav
        from notifications.selectors import unread_count

        nav.add_membership_fact("unread_notifications", unread_count)

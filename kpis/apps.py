from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The review digests' KPI sections (notifications.reminders).
        from kpis import reminders

        reminders.register()

from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "kpis"
    verbose_name = "KPIs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import nav

        nav.register(nav.NavEntry("kpis", "KPIs", "kpis:kpi_list", order=25, url_prefixes=("kpi",)))
        # The review digests' KPI sections (notifications.reminders).
        from kpis import reminders

        reminders.register()
        # The hourly roll-up and the daily snapshots (core.periodic).
        from kpis import jobs

        jobs.register()

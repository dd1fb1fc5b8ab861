from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every Cairn app shares: tenancy, tasks, hierarchy queries, pages and API plumbing."""

    name = "core"
    verbose_name = "Core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers the periodic tasks (core.periodic.tick, run_for_org) with Celery.
        from core import periodic  # noqa: F401

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every Cairn app shares: tenancy, tasks, hierarchy queries, pages and API plumbing."""

    name = "core"
    verbose_name = "Core"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Development tools: the demo data and ``manage.py seed_demo``. Product apps never
    import it (devtools/tests/test_boundaries.py keeps it so)."""

    name = "devtools"
    verbose_name = "Development tools"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"
    verbose_name = "Goals"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import nav

        # Recognition: the feed in the menu; its pages set nav="recognition" themselves
        # (their URL names, such as "detail", are too plain to file by name).
        nav.register(nav.NavEntry("recognition", "Recognition", "recognition:feed", order=45))

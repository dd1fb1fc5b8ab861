from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Feedback"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Feedback: the menu entry and the review digest's open requests.
        from core import nav
        from feedback import reminders

        nav.register(
            nav.NavEntry(
                "feedback",
                "Feedback",
                "feedback:feedback_home",
                order=35,
                url_names=frozenset(
                    {"give", "request", "request_detail", "request_decline", "person"}
                ),
                url_prefixes=("feedback_",),
            )
        )
        reminders.register()
        # Recognition: the feed in the menu; its pages set nav="recognition" themselves
        # (their URL names, such as "detail", are too plain to file by name).
        nav.register(nav.NavEntry("recognition", "Recognition", "recognition:feed", order=45))

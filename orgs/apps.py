from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def grant_app_role(sender, using: str = "default", **kwargs) -> None:
    """Give the application role read/write on every table (PostgreSQL, after migrate).

    The role owns nothing and lacks BYPASSRLS, so row-level security binds it.
    """
    from django.conf import settings
    from django.db import connections

    role = settings.DATABASE_APP_ROLE
    connection = connections[using]
    if not role or connection.vendor != "postgresql":
        return
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public "
            f"TO {quoted}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}")


def _settings_page(membership) -> str:
    """Admins land on the organisation's settings, everyone else on their API tokens."""
    if membership is not None and membership.is_admin:
        return "orgs:org_settings"
    return "orgs:api_tokens"


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = "Organisations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(grant_app_role, sender=self, dispatch_uid="orgs.grant_app_role")
        from core import nav

        nav.register(
            nav.NavEntry(
                "people", "People", "orgs:people", order=50, url_prefixes=("people", "person")
            ),
            nav.NavEntry("units", "Units", "orgs:units", order=60, url_prefixes=("unit",)),
            nav.NavEntry(
                "settings",
                "Settings",
                _settings_page,
                order=70,
                url_names=frozenset({"org_settings", "api_tokens"}),
            ),
        )

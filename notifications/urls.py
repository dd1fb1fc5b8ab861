from __future__ import annotations

from django.urls import path

from notifications import views

# Mounted under /o/<slug:org_slug>/
app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.mark_all_read, name="notifications_read_all"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path(
        "notifications/<int:notification_pk>/read/",
        views.mark_read,
        name="notification_read",
    ),
]

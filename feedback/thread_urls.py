from __future__ import annotations

# Mounted under /o/<slug:org_slug>/
app_name = "threads"

urlpatterns: list = []

from __future__ import annotations

# Mounted under /api/v1/orgs/<slug:org_slug>/
urlpatterns: list = []

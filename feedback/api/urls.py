from __future__ import annotations

from feedback.api import feedback_urls, recognition_urls, thread_urls

# Mounted under /api/v1/orgs/<slug:org_slug>/
app_name = "feedback_api"

urlpatterns = [
    *feedback_urls.urlpatterns,
    *thread_urls.urlpatterns,
    *recognition_urls.urlpatterns,
]

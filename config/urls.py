from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from orgs import views as org_views
from orgs.forms import LoginForm, PasswordResetForm

urlpatterns = [
    path("", org_views.home, name="home"),
    path("healthz", org_views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(form_class=PasswordResetForm),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("o/<slug:org_slug>/", include("orgs.urls")),
    path("o/<slug:org_slug>/", include("goals.urls")),
    path("o/<slug:org_slug>/", include("kpis.urls")),
    path("o/<slug:org_slug>/", include("notifications.urls")),
    path("o/<slug:org_slug>/", include("feedback.urls")),
    path("o/<slug:org_slug>/", include("feedback.thread_urls")),
    path("o/<slug:org_slug>/", include("feedback.recognition_urls")),
    path("api/v1/orgs/<slug:org_slug>/", include("orgs.api_urls")),
    path("api/v1/orgs/<slug:org_slug>/", include("goals.api.urls")),
    path("api/v1/orgs/<slug:org_slug>/", include("kpis.api.urls")),
    path("api/v1/orgs/<slug:org_slug>/", include("feedback.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
]

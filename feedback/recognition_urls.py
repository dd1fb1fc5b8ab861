from __future__ import annotations

from django.urls import path

from feedback import views_recognition as views

# Mounted under /o/<slug:org_slug>/
app_name = "recognition"

urlpatterns = [
    path("recognition/", views.feed, name="feed"),
    path("recognition/new/", views.give, name="give"),
    path("recognition/units/", views.unit_options, name="unit_options"),
    path("recognition/<int:recognition_pk>/", views.detail, name="detail"),
    path("recognition/<int:recognition_pk>/react/", views.react, name="react"),
    path("settings/values/", views.values, name="values"),
    path("settings/values/<int:value_pk>/", views.value_edit, name="value_edit"),
    path("settings/values/<int:value_pk>/archive/", views.value_archive, name="value_archive"),
    path("settings/values/<int:value_pk>/move/", views.value_move, name="value_move"),
]

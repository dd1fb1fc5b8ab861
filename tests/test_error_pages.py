"""Branded 403, 404 and 500 pages that render under the Content-Security-Policy."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path, reverse

from config.middleware import CONTENT_SECURITY_POLICY
from config.urls import urlpatterns as app_urlpatterns


def boom(request):
    raise RuntimeError("kaboom: secret detail")


def posted(request):
    return HttpResponse("ok")


urlpatterns = [path("test-boom/", boom), path("test-post/", posted), *app_urlpatterns]


def assert_branded_under_csp(response, heading: str) -> str:
    body = response.content.decode()
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert f"<h1>{heading}</h1>" in body
    assert "/static/css/app.css" in body  # the app's own look, from the allowed origin
    assert "<style" not in body and " style=" not in body and "<script>" not in body
    return body


@override_settings(DEBUG=False)
def test_an_unknown_address_gets_the_branded_404(cast, login):
    client = login(cast.member)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = assert_branded_under_csp(response, "Page not found")
    assert "Traceback" not in body and "URLconf" not in body


@override_settings(DEBUG=False)
def test_another_organisations_page_gets_the_same_404_without_naming_it(cast, login):
    client = login(cast.member)
    response = client.get(reverse("orgs:people", args=[cast.other_org.slug]))
    assert response.status_code == 404
    body = assert_branded_under_csp(response, "Page not found")
    assert cast.other_org.name not in body


@override_settings(DEBUG=False)
def test_a_forbidden_action_gets_the_branded_403_with_the_reason(cast, login):
    client = login(cast.member)
    response = client.get(reverse("orgs:org_settings", args=[cast.org.slug]))
    assert response.status_code == 403
    body = assert_branded_under_csp(response, "You can't do that here")
    assert "Only admins of this organisation can do this." in body


@override_settings(DEBUG=False)
def test_an_expired_form_gets_the_branded_csrf_page(cast):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert_branded_under_csp(response, "This form has expired")


@pytest.mark.urls(__name__)
@override_settings(DEBUG=False)
def test_a_server_error_gets_the_branded_500_without_details(db):
    client = Client(raise_request_exception=False)
    response = client.get("/test-boom/")
    assert response.status_code == 500
    body = assert_branded_under_csp(response, "Something went wrong on our side")
    assert "kaboom" not in body and "Traceback" not in body


@override_settings(DEBUG=True)
def test_in_debug_djangos_own_404_page_is_readable_and_app_pages_keep_the_csp(cast, login):
    client = login(cast.member)
    debug_page = client.get("/no/such/page/")
    assert debug_page.status_code == 404
    assert "Content-Security-Policy" not in debug_page.headers  # its inline style applies
    assert client.get(reverse("orgs:org_home", args=[cast.org.slug]))["Content-Security-Policy"]

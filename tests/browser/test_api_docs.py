"""The API docs page (Swagger UI) passes the same accessibility check as every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_the_api_docs_pass_the_accessibility_check(transactional_db, cast, page, audit):
    log_in(page, audit, cast.admin)
    page.goto("/api/docs/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Cairn API")).to_be_visible()
    operation = page.locator(".opblock").first
    expect(operation).to_be_visible()
    # An operation's toggle holds no link (deep links off): nothing nested to trip on.
    expect(operation.locator(".opblock-summary-control a[href]")).to_have_count(0)
    audit.check(page)

    operation.locator(".opblock-summary-control").click()
    expect(operation.locator(".opblock-body")).to_be_visible()
    audit.check(page)

"""Take full-page screenshots of Cairn's pages at a desktop and a phone width.

It starts nothing: point it at a running server whose organisation has data
(units, people) and an admin account, for example

    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8010 \
        --email admin@acme.test --password cairn-demo --org acme

PNG files land in --out (default var/screenshots), named <width>-<page>.png.
Chromium is Debian's (/usr/bin/chromium); no browser is downloaded.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTHS = (1280, 390)


def _first_href(page: Page, selector: str) -> str:
    href = page.locator(selector).first.get_attribute("href")
    if not href:
        raise RuntimeError(f"no link matches {selector!r} on {page.url}")
    return href


def _units_page(page: Page, base: str, org: str) -> None:
    page.goto(f"{base}/o/{org}/units/")


def _unit_rename(page: Page, base: str, org: str) -> None:
    """Open the inline rename form in the unit tree (an htmx swap, no page load)."""
    _units_page(page, base, org)
    page.locator("table.unit-tree a", has_text="Rename").nth(1).click()
    page.locator("tr.editing input[name=name]").wait_for()


def _unit_rename_page(page: Page, base: str, org: str) -> None:
    """The rename form as its own page, for browsers without JavaScript."""
    _units_page(page, base, org)
    page.goto(base + _first_href(page, "table.unit-tree a[href$='/rename/']"))


def _unit_edit(page: Page, base: str, org: str) -> None:
    _units_page(page, base, org)
    page.goto(base + _first_href(page, "table.unit-tree a[href$='/edit/']"))


def _unit_edit_error(page: Page, base: str, org: str) -> None:
    """The edit form after trying to move a unit under itself."""
    _unit_edit(page, base, org)
    heading = page.locator("h1").inner_text()
    name = heading.split("“", 1)[-1].rstrip("”")
    parent = page.locator("select[name=parent]")
    label = next(
        text for text in parent.locator("option").all_inner_texts() if text.strip("\u00a0") == name
    )
    parent.select_option(label=label)
    page.get_by_role("button", name="Save").click()
    page.locator(".field-invalid").first.wait_for()


def _unit_delete(page: Page, base: str, org: str) -> None:
    _units_page(page, base, org)
    page.goto(base + _first_href(page, "table.unit-tree a[href$='/delete/']"))


def _person_edit(page: Page, base: str, org: str) -> None:
    page.goto(f"{base}/o/{org}/people/")
    page.goto(base + _first_href(page, "table.people td.row-actions a"))


def _switcher_open(page: Page, base: str, org: str) -> None:
    page.goto(f"{base}/o/{org}/")
    summary = page.locator("details.switcher summary")
    if summary.count():
        summary.click()


def _menu_open(page: Page, base: str, org: str) -> None:
    """The menu button opened (on a phone; on a desktop the bar shows it all)."""
    page.goto(f"{base}/o/{org}/")
    summary = page.locator("details.navmenu > summary")
    if summary.is_visible():
        summary.click()


def _goal(page: Page, base: str, org: str) -> None:
    """The first goal on "My goals": progress, why N%, key results, activity."""
    page.goto(f"{base}/o/{org}/goals/mine/")
    page.goto(base + _first_href(page, "article.goal-card h4 a"))


def _api_docs(page: Page, base: str, org: str) -> None:
    """Swagger UI, once it has drawn the operations."""
    page.goto(f"{base}/api/docs/")
    page.locator(".opblock").first.wait_for()


def _kpi(*names: str) -> Callable[[Page, str, str], None]:
    """The page of the first of ``names`` on the KPI list (skipped when none is listed:
    another organisation's demo, or a KPI the login may not see)."""

    def visit(page: Page, base: str, org: str) -> None:
        page.goto(f"{base}/o/{org}/kpis/")
        for name in names:
            link = page.locator("main a", has_text=name)
            if link.count():
                page.goto(base + link.first.get_attribute("href"))
                return
        raise LookupError(f"none of {names!r} on the KPI list")

    return visit


# A file with a good row, a date that is not one and a value that is not a number.
BAD_CSV = b"measured_at,value,note\n2026-11-30,12.5,fine\n30/11/2026,13,\n2026-12-01,twelve,\n"


def _kpi_upload_error(page: Page, base: str, org: str) -> None:
    """The CSV upload after checking a file with row errors (nothing saved), on the
    first KPI of the list the login may enter values of."""
    page.goto(f"{base}/o/{org}/kpis/")
    links = page.locator("main table a[href*='/kpis/']").all()
    for href in [link.get_attribute("href") for link in links]:
        page.goto(base + href)
        upload = page.locator("a[href$='/upload/']")
        if upload.count():
            break
    else:
        raise LookupError("no KPI this login may upload values to")
    page.goto(base + upload.first.get_attribute("href"))
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "values.csv", "mimeType": "text/csv", "buffer": BAD_CSV}]
    )
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()


def _kpi_goal(page: Page, base: str, org: str) -> None:
    """The goal a KPI drives a key result of: forecast and progress over time."""
    _kpi("Customer NPS", "First-pass yield")(page, base, org)
    page.goto(base + _first_href(page, "main a[href*='/goals/']"))


def _simple(path: str) -> Callable[[Page, str, str], None]:
    def visit(page: Page, base: str, org: str) -> None:
        page.goto(f"{base}/o/{org}/{path}")

    return visit


PAGES: list[tuple[str, Callable[[Page, str, str], None]]] = [
    ("home", lambda page, base, org: page.goto(f"{base}/")),
    ("org-home", _simple("")),
    ("org-switcher", _switcher_open),
    ("people", _simple("people/")),
    ("people-filtered", _simple("people/?q=an&role=member")),
    ("units", _units_page),
    ("unit-rename", _unit_rename),
    ("unit-rename-page", _unit_rename_page),
    ("unit-edit", _unit_edit),
    ("unit-edit-error", _unit_edit_error),
    ("unit-delete", _unit_delete),
    ("person-edit", _person_edit),
    ("person-invite", _simple("people/invite/")),
    ("settings", _simple("settings/")),
    ("api-tokens", _simple("settings/tokens/")),
    ("menu-open", _menu_open),
    ("my-goals", _simple("goals/mine/")),
    ("goal", _goal),
    ("goal-new", _simple("goals/new/")),
    ("goal-tree", _simple("goals/tree/")),
    ("alignment", _simple("goals/alignment/")),
    ("approvals", _simple("goals/approvals/")),
    ("cycles", _simple("cycles/")),
    ("team", _simple("goals/team/")),
    ("notifications", _simple("notifications/")),
    ("notification-settings", _simple("notifications/settings/")),
    ("api-docs", _api_docs),
    ("kpis", _simple("kpis/")),
    ("kpi-leaf", _kpi("p95 API latency", "Overall equipment effectiveness")),
    ("kpi-computed", _kpi("Customer-facing incidents", "First-pass yield")),
    ("kpi-range", _kpi("Ageing oven temperature")),
    ("kpi-new", _simple("kpis/new/")),
    ("kpi-upload-error", _kpi_upload_error),
    ("kpi-goal", _kpi_goal),
    ("jobs", _simple("settings/jobs/")),
]


# Pages seen before logging in; {org} is the organisation's slug.
PUBLIC_PAGES = [
    ("login", "/accounts/login/"),
    ("password-reset", "/accounts/password-reset/"),
]


def log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if "/accounts/login/" in page.url:
        raise RuntimeError(f"could not log in as {email}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8010")
    parser.add_argument("--email", default="admin@acme.test")
    parser.add_argument("--password", default="cairn-demo")
    parser.add_argument("--org", default="acme")
    parser.add_argument("--out", default="var/screenshots", type=Path)
    parser.add_argument(
        "--invite-token", help="raw token of an open invitation, to show its acceptance page"
    )
    parser.add_argument("--only", nargs="*", help="page names to take (default: all)")
    parser.add_argument(
        "--axe", action="store_true", help="also run axe-core and list every violation found"
    )
    parser.add_argument(
        "--viewport-only", action="store_true", help="only the first screenful, not the full page"
    )
    args = parser.parse_args(argv)
    base = args.base_url.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = set(args.only or [])

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                page = context.new_page()
                public = list(PUBLIC_PAGES)
                if args.invite_token:
                    public.append(("invitation", f"/o/{args.org}/join/{args.invite_token}/"))
                for name, path in public:
                    if args.only and name not in wanted:
                        continue
                    page.goto(base + path)
                    _save(page, args.out, width, name, not args.viewport_only)
                    if args.axe:
                        _report_axe(page, width, name)
                log_in(page, base, args.email, args.password)
                for name, visit in PAGES:
                    if args.only and name not in wanted:
                        continue
                    try:
                        visit(page, base, args.org)
                    except LookupError as missing:  # not on this organisation or role
                        print(f"skipped {name}: {missing}")
                        continue
                    _save(page, args.out, width, name, not args.viewport_only)
                    if args.axe:
                        _report_axe(page, width, name)
                context.close()
        finally:
            browser.close()
    return 0


def _save(page: Page, out: Path, width: int, name: str, full_page: bool) -> None:
    path = out / f"{width}-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    print(path)


def _report_axe(page: Page, width: int, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    for violation in Axe().run(page).response["violations"]:
        targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"][:4])
        print(f"  axe {width}-{name} [{violation['impact']}] {violation['id']}: {targets}")


if __name__ == "__main__":
    sys.exit(main())

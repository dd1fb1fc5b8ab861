"""Browser fixtures: Debian's Chromium driven by Playwright, axe-core on every page.

Chromium must be at /usr/bin/chromium: a missing browser fails the run, it is
never skipped, and no browser is ever downloaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# Playwright's sync API runs an event loop in this thread; Django would
# otherwise refuse ORM calls from the test body.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import pytest  # noqa: E402
from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright  # noqa: E402

from conftest import PASSWORD  # noqa: E402
from orgs.models import Membership  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM} (apt install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# No htmx request in flight and no element being swapped or settled.
SETTLED = (
    "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
)


@dataclass
class Audit:
    """axe-core results per page; every page a tab lands on must be checked."""

    visited: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    def check(self, page: Page) -> None:
        """Fail on any serious or critical axe-core violation on the page as it is now.

        First waits for htmx to finish: a page audited in the middle of a swap (an element
        being settled, a request in flight) is not a page anyone reads.
        """
        page.wait_for_function(SETTLED, timeout=10_000)
        violations = Axe().run(page).response["violations"]
        blocking = [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]
        self.checked.add(_path(page.url))
        assert not blocking, f"accessibility violations on {page.url}:\n" + "\n".join(
            _describe(v) for v in blocking
        )

    def unchecked(self) -> list[str]:
        return [url for url in dict.fromkeys(self.visited) if url not in self.checked]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _describe(violation: dict) -> str:
    targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
    return (
        f"- [{violation['impact']}] {violation['id']}: {violation['help']}\n"
        f"  {violation['helpUrl']}\n  nodes: {'; '.join(targets)}"
    )


def _console(message: ConsoleMessage, errors: list[str]) -> None:
    # Chromium logs every 4xx as "Failed to load resource"; _response judges those.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        errors.append(f"console: {message.text}")


def _response(response: Response, errors: list[str]) -> None:
    """A form answering 400 with its errors is fine; a missing asset or a 500 is not."""
    is_form_answer = response.request.resource_type in {"document", "xhr", "fetch"}
    if response.status >= 500 or (response.status >= 400 and not is_form_answer):
        errors.append(f"{response.status} {response.request.method} {response.url}")


@pytest.fixture
def new_page(browser: Browser, live_server) -> Iterator:
    """Open fresh browser tabs (separate cookies each) on the live server.

    Console errors (a CSP violation, a failed script) fail the test, and so
    does a page that was visited but never checked with axe-core.
    """
    contexts = []
    audits: list[Audit] = []
    errors: list[str] = []

    def _open() -> tuple[Page, Audit]:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        audit = Audit()
        page.on(
            "framenavigated",
            lambda frame: (
                audit.visited.append(_path(frame.url))
                if frame == page.main_frame and frame.url.startswith("http")
                else None
            ),
        )
        page.on("console", lambda msg: _console(msg, errors))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("response", lambda response: _response(response, errors))
        contexts.append(context)
        audits.append(audit)
        return page, audit

    yield _open
    for context in contexts:
        context.close()
    assert not errors, "browser errors:\n" + "\n".join(errors)
    unchecked = [url for audit in audits for url in audit.unchecked()]
    assert not unchecked, f"pages visited without an axe-core check: {unchecked}"


@pytest.fixture
def tab(new_page) -> tuple[Page, Audit]:
    return new_page()


@pytest.fixture
def page(tab) -> Page:
    return tab[0]


@pytest.fixture
def audit(tab) -> Audit:
    """The axe-core audit of the `page` fixture's tab."""
    return tab[1]


def log_in(page: Page, audit: Audit, membership: Membership, password: str = PASSWORD) -> None:
    """Log in through the login page, as a person would."""
    page.goto("/accounts/login/")
    audit.check(page)
    page.get_by_label("Email").fill(membership.user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/o/[\w-]+/$"))
    audit.check(page)


# Every element whose content is wider than its box, except visually hidden text
# (clip: rect(0 0 0 0)) and boxes with overflow hidden that clip nothing visible.
_SIDEWAYS_JS = """
() => {
  const found = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth) {
    found.push(`the page: ${doc.scrollWidth} > ${doc.clientWidth}`);
  }
  const name = (el) => {
    const classes = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes;
  };
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      parts.unshift(name(e));
    }
    return parts.join(" > ");
  };
  const visuallyHidden = (el) => {
    for (let e = el; e; e = e.parentElement) {
      if (getComputedStyle(e).clip !== "auto") return true;
    }
    return false;
  };
  const clipsSomething = (el) => {
    const box = el.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(el);
    return [...range.getClientRects()].some(
      (r) => r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1)
    );
  };
  for (const el of document.body.querySelectorAll("*")) {
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    const style = getComputedStyle(el);
    if (!el.checkVisibility() || visuallyHidden(el)) continue;
    const hides = style.overflowX === "hidden" || style.overflowX === "clip";
    if (hides && !clipsSomething(el)) continue;
    found.push(`${path(el)}: ${el.scrollWidth} > ${el.clientWidth} (${style.overflowX})`);
  }
  return found;
}
"""


def sideways(page: Page) -> list[str]:
    """What scrolls (or spills) sideways on the page as it is now: the page itself or
    any element in it whose content is wider than its box."""
    return page.evaluate(_SIDEWAYS_JS)

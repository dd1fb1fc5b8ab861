"""The main menu: each app registers its entries from its AppConfig.ready().

An entry says who sees it (a rule of the app's permission layer, asked with the
viewer's membership, which may be None on a public page of the organisation),
where it leads, and which pages belong to its section, so the page being shown
marks its entry current. The base template loops over the visible entries and
names no app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse

if TYPE_CHECKING:
    from orgs.models import Membership


def everyone(membership: Membership | None) -> bool:
    return True


@dataclass(frozen=True)
class NavEntry:
    key: str  # the section: pages in it mark this entry current (``nav`` in templates)
    label: str
    url_name: str | Callable[[Membership | None], str]  # the link, or who gets which
    order: int
    visible: Callable[[Membership | None], bool] = everyone
    url_names: frozenset[str] = frozenset()  # pages of the section, by URL name
    url_prefixes: tuple[str, ...] = ()  # ... and by how their URL name starts


@dataclass(frozen=True)
class NavLink:
    key: str
    label: str
    url: str


_entries: dict[str, NavEntry] = {}
_pages: dict[str, str] = {}  # URL name -> section, for pages an app files under another's entry


def register(*entries: NavEntry) -> None:
    for entry in entries:
        _entries[entry.key] = entry


def add_pages(key: str, *url_names: str) -> None:
    """File an app's pages under another app's section (goal cycles under Settings)."""
    for name in url_names:
        _pages[name] = key


def section(url_name: str) -> str:
    """The section a page belongs to ("" for none): named pages first, then prefixes."""
    if not url_name:
        return ""
    if url_name in _pages:
        return _pages[url_name]
    for entry in _entries.values():
        if url_name in entry.url_names:
            return entry.key
    for entry in _entries.values():
        if url_name.startswith(entry.url_prefixes):
            return entry.key
    return ""


def menu(membership: Membership | None, org_slug: str) -> list[NavLink]:
    """The entries ``membership`` sees in this organisation, in order."""
    links = []
    for entry in sorted(_entries.values(), key=lambda e: e.order):
        if not entry.visible(membership):
            continue
        name = entry.url_name if isinstance(entry.url_name, str) else entry.url_name(membership)
        links.append(NavLink(entry.key, entry.label, reverse(name, args=[org_slug])))
    return links

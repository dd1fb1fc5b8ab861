"""The database side of tenancy: which organisation the current transaction serves.

On PostgreSQL every tenant table has row-level security keyed on the
transaction-local setting ``app.current_org``. ``tenant_context`` opens (or
joins) a transaction and sets it; SQLite has no RLS, so there the application's
org-scoped selectors are the only barrier.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

ORG_SETTING = "app.current_org"
USER_SETTING = "app.current_user"


def uses_rls() -> bool:
    return connection.vendor == "postgresql"


def _set(name: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _get(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [name])
        return cursor.fetchone()[0] or ""


def set_current_org(org_id: int | None) -> None:
    """Set the organisation for the rest of the current transaction."""
    if uses_rls():
        if not connection.in_atomic_block:
            raise RuntimeError("set_current_org needs a transaction (use tenant_context)")
        _set(ORG_SETTING, "" if org_id is None else str(int(org_id)))


def set_current_user(user_id: int | None) -> None:
    """Let the transaction read this user's own memberships in every organisation."""
    if uses_rls():
        if not connection.in_atomic_block:
            raise RuntimeError("set_current_user needs a transaction")
        _set(USER_SETTING, "" if user_id is None else str(int(user_id)))


@contextmanager
def tenant_context(org_id: int | None) -> Iterator[None]:
    """Run the block in a transaction serving one organisation; restores the previous one."""
    with transaction.atomic():
        previous = _get(ORG_SETTING) if uses_rls() else ""
        set_current_org(org_id)
        try:
            yield
        finally:
            if uses_rls() and not connection.needs_rollback:
                _set(ORG_SETTING, previous)


@contextmanager
def user_context(user_id: int | None) -> Iterator[None]:
    """Run the block in a transaction that may read the user's memberships everywhere."""
    with transaction.atomic():
        previous = _get(USER_SETTING) if uses_rls() else ""
        set_current_user(user_id)
        try:
            yield
        finally:
            if uses_rls() and not connection.needs_rollback:
                _set(USER_SETTING, previous)

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


def _checked_set(name: str, value: int | None) -> None:
    if uses_rls():
        if not connection.in_atomic_block:
            raise RuntimeError(f"{name} is transaction-local: open a transaction first")
        _set(name, "" if value is None else str(int(value)))


def set_current_org(org_id: int | None) -> None:
    """Set the organisation for the rest of the current transaction."""
    _checked_set(ORG_SETTING, org_id)


def set_current_user(user_id: int | None) -> None:
    """Let the transaction read this user's own memberships in every organisation."""
    _checked_set(USER_SETTING, user_id)


@contextmanager
def tenant_context(org_id: int | None) -> Iterator[None]:
    """Run the block in a transaction serving one organisation; restores the previous one."""
    with _scoped(ORG_SETTING, org_id):
        yield


@contextmanager
def user_context(user_id: int | None) -> Iterator[None]:
    """Run the block in a transaction that may read the user's memberships everywhere."""
    with _scoped(USER_SETTING, user_id):
        yield


@contextmanager
def _scoped(name: str, value: int | None) -> Iterator[None]:
    """Set a transaction-local setting for the block, then put the previous value back."""
    with transaction.atomic():
        rls = uses_rls()
        previous = _get(name) if rls else ""
        _checked_set(name, value)
        try:
            yield
        finally:
            if rls and not connection.needs_rollback:
                _set(name, previous)

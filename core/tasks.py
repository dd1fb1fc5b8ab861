"""Celery tasks that serve one organisation, and fanning a job out over all of them.

A tenant task takes ``org_id`` (a keyword argument) and runs its body inside
``tenant_context(org_id)``: on PostgreSQL it sees only that organisation's rows.
Without an ``org_id`` it refuses both to be enqueued and to run.

A periodic job over every organisation is a small task that calls ``fan_out``:
one tenant task per organisation, so a slow or failing organisation holds up
nobody else (each is its own message, retried or failed on its own).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from celery import Task, shared_task
from celery.result import AsyncResult, EagerResult

from core.tenancy import tenant_context

logger = logging.getLogger(__name__)


class MissingOrganisation(TypeError):
    """A tenant task was enqueued or run without the organisation it serves."""


def _org_id(task: Task, kwargs: dict[str, Any] | None) -> int:
    org_id = (kwargs or {}).get("org_id")
    if org_id is None or isinstance(org_id, bool):
        raise MissingOrganisation(
            f"{task.name} serves one organisation: call it with org_id=<organisation id>"
        )
    return org_id


class TenantTask(Task):
    """Base class of tenant tasks: requires ``org_id`` and runs in its tenant context.

    ``opens_context = False`` (``@tenant_task(opens_context=False)``): the body opens
    ``tenant_context`` itself, one transaction per item, for a task that must commit a
    row before a side effect (claim an email, then send it) rather than hold one
    transaction across all of them.
    """

    opens_context = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        org_id = _org_id(self, kwargs)
        if not self.opens_context:
            return super().__call__(*args, **kwargs)
        with tenant_context(org_id):
            return super().__call__(*args, **kwargs)

    def apply_async(self, args=None, kwargs=None, **options):
        _org_id(self, kwargs)
        return super().apply_async(args, kwargs, **options)


def tenant_task(fn: Callable[..., Any] | None = None, **options: Any):
    """``@tenant_task`` or ``@tenant_task(**celery_options)``: a shared task on TenantTask."""
    options.setdefault("base", TenantTask)
    if fn is None:
        return shared_task(**options)
    return shared_task(**options)(fn)


def fan_out(task: Task, **kwargs: Any) -> dict[int, AsyncResult | None]:
    """Enqueue ``task(org_id=…, **kwargs)`` once per organisation.

    Returns each organisation's result handle; None where enqueuing (or, in eager
    mode, running) failed: that is logged and the other organisations go on.
    """
    from orgs.models import Organization

    results: dict[int, AsyncResult | None] = {}
    for org_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        try:
            results[org_id] = task.delay(org_id=org_id, **kwargs)
        except Exception:
            logger.exception("%s failed for organisation %s", task.name, org_id)
            results[org_id] = None
    return results


def ran_here(results: dict[int, AsyncResult | None]) -> dict[int, Any]:
    """What each organisation's task returned when it ran in this process (eager mode:
    tests, CELERY_TASK_ALWAYS_EAGER); None for one a worker runs or one that failed."""
    return {
        org_id: result.result if isinstance(result, EagerResult) and result.successful() else None
        for org_id, result in results.items()
    }

from __future__ import annotations

import pytest

from notifications.tests import world


@pytest.fixture
def objective(cast):
    return world.objective(cast)


@pytest.fixture
def submitted_goal(cast, objective, django_capture_on_commit_callbacks):
    """Bob's goal, waiting for Mallory (his manager) to approve it; Mallory was emailed."""
    with django_capture_on_commit_callbacks(execute=True):
        return world.submitted_goal(cast, objective)

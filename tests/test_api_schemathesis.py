"""Schemathesis over the whole API: no server error, and every answer the schema
describes matches it.

The schema is drf-spectacular's own, generated in-process when the tests are
collected; each operation is one test, with cases from schemathesis'
Hypothesis strategy for it. Requests go over HTTP to pytest-django's
live server with an API token of the cast's admin (who may call every
operation). Path parameters name the cast's organisation and objects, so that
answers are real ones; query strings and bodies are generated, valid and
invalid (schemathesis' positive and negative modes). Bounded for CI:
MAX_EXAMPLES cases per operation, derandomised so that a run is repeatable, no
shrinking (a failure reports the request as schemathesis found it).
"""

from __future__ import annotations

import os
import re

import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from core.tenancy import tenant_context
from orgs.services import api_token_create, invitation_create
from tests.test_isolation import feedback_objects, goal_objects, kpi_objects

# Cases per operation: 25 keeps CI within a few minutes; raise it for a deeper run.
MAX_EXAMPLES = int(os.environ.get("CAIRN_SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [not_a_server_error, response_schema_conformance]

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.fixture
def session() -> requests.Session:
    with requests.Session() as session:
        session.trust_env = False  # straight to the live server, whatever proxy is set
        yield session


@pytest.fixture
def api_cast(transactional_db, cast) -> dict:
    """The admin's bearer token and a value for every path parameter."""
    goal = goal_objects(cast)
    kpi = kpi_objects(cast)
    with tenant_context(cast.org.pk):
        _, raw = api_token_create(membership=cast.admin, name="schemathesis")
        invitation = invitation_create(
            org=cast.org, invited_by=cast.admin, email="someone@acme.test"
        )
        key_result = goal.key_results.get()
        milestone = key_result.milestones.get()
    path = {
        "org_slug": cast.org.slug,
        "cycle_pk": goal.cycle_id,
        "goal_pk": goal.pk,
        "kr_pk": key_result.pk,
        "milestone_pk": milestone.pk,
        "unit_pk": cast.engineering.pk,
        "membership_pk": cast.member.pk,
        "invitation_pk": invitation.pk,
        "kpi_pk": kpi.pk,
        # feedback_pk, request_pk, comment_pk, value_pk, recognition_pk
        **{name: int(pk) for name, pk in feedback_objects(cast, goal).items()},
    }
    return {"token": raw, "path": path}


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_the_api_answers_as_its_schema_says(operation, live_server, api_cast, session):
    path = {name: api_cast["path"][name] for name in re.findall(r"{(\w+)}", operation.path)}
    cases = st.one_of(
        [operation.as_strategy(mode, path_parameters=path) for mode in GenerationMode]
    )
    headers = {"Authorization": f"Bearer {api_cast['token']}"}

    @given(case=cases)
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: each step is a request
        suppress_health_check=list(HealthCheck),
    )
    def answers_as_its_schema_says(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=live_server.url, session=session, headers=headers, checks=CHECKS
        )

    answers_as_its_schema_says()

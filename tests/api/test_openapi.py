"""The OpenAPI description is valid and true: schemathesis drives the running app from it."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import positive_data_acceptance

from coordhub.api.openapi import build_spec


def test_the_description_is_valid_openapi(app):
    with app.test_request_context():
        validate(build_spec())


def test_api_conforms_to_its_description(app, world, token_for):
    """Every operation, with generated valid and invalid inputs: no server error, status codes, content types
        and response bodies as described, invalid input refused. (Driven without schemathesis' pytest plugin,
        which does not yet work with pytest 9.) The suite runs it on SQLite and on PostgreSQL (DATABASE_URL), where
    text longer than its column or a NUL character would fail in the database. Writes may refuse schema-valid bodies that break rules a schema
        cannot say (an unknown resource type id, an end before the start): those answer 422 naming the field."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = token_for(world.users["coordinator"])
    checked, statuses = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case):
            excluded = [positive_data_acceptance] if case.method in ("POST", "PATCH") else []
            response = case.call_and_validate(headers=headers, excluded_checks=excluded)
            # Whatever the input, never a server error (schemathesis' own check, made explicit).
            assert response.status_code < 500, (case.path, case.query, case.body, response.text[:500])
            statuses[response.status_code // 100] = statuses.get(response.status_code // 100, 0) + 1

        exercise()
        checked.append(operation.label)
    assert len(checked) >= 20, checked
    assert statuses.get(2) and statuses.get(4), statuses  # both valid and refused inputs were sent

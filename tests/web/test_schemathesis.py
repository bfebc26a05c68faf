"""Property-based requests generated from the published OpenAPI schema (schemathesis): never a 5xx.

Schemathesis's own pytest plugin does not run under this pytest version, so each operation's Hypothesis
strategy is driven directly: the same generated cases, the same `not_a_server_error` check. The cases are the
same on every run (derandomized: CI passes or fails on the code, not on the draw); HIZONE_FUZZ_RANDOM=1 draws
new ones, to hunt for more.
"""

from __future__ import annotations

import os

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy import Engine

from hizone.auth.users import create_token
from tests.web.seed import Seeded

EXAMPLES_PER_OPERATION = 30
DERANDOMIZE = os.environ.get("HIZONE_FUZZ_RANDOM") != "1"


def test_no_operation_answers_with_a_server_error(app: FastAPI, engine: Engine, seeded: Seeded) -> None:
    token = create_token(engine, "admin1", "schemathesis")  # an admin reaches every handler
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=DERANDOMIZE,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])

        check()

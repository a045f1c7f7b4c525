"""Property-based testing of the dashboard's API against its own OpenAPI schema (schemathesis).

Every operation of `/openapi.json` is called with generated parameters, signed in with an
admin's API token, and every response is checked against the schema (status codes, content
types, bodies) and for server errors. The routes' permissions are tested in test_web.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from conftest import add_user, write_hostile_results
from hypothesis import HealthCheck, given, settings

from countylines.users import create_token
from countylines.web.app import create_app
from countylines.workspace import Workspace


@pytest.fixture
def token(workspace: Workspace) -> str:
    add_user(workspace, "admin", "admin")
    return create_token(workspace, "admin")[0]


@pytest.fixture
def web_schema(tmp_path: Path, workspace: Workspace, token: str):  # type: ignore[no-untyped-def]
    app = create_app(write_hostile_results(tmp_path / "results"), workspace)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_api_conforms_to_its_schema(web_schema, token: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in web_schema.get_all_operations()]
    assert {op.path for op in operations} >= {
        "/api/lines", "/api/lines/{line_id}", "/api/places", "/api/violence", "/api/movement",
        "/api/people/{token}",
    }  # fmt: skip
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(headers=headers)

        check()

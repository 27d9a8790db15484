"""Quick schemathesis run over both documents (a few examples per operation): no 500, and every
answer conforms to the document. `make fuzz` runs more examples."""
from __future__ import annotations

import os

import pytest

from tests.docs.fuzz import SigningClient, fuzz, load


@pytest.fixture(autouse=True)
def _demo_data(request):
    """`make fuzz` loads the demo data first, so generated ids reach real rows."""
    if os.environ.get("FUZZ_DEMO"):
        request.getfixturevalue("demo")


@pytest.fixture
def bearer(make_unit, make_person, auth_headers):
    unit = make_unit("regulator", "610000", name="省局")
    return auth_headers(make_person(unit, "regulator_staff", "unit_admin"))


@pytest.fixture
def signing_client(client, make_unit):
    from services import clients
    from tests.integration_api.conftest import SETUP

    unit = make_unit("inspection")
    issued = clients.create_client(SETUP, unit, "模糊测试系统", ["open:read", "inspection:write"])
    return SigningClient(client, issued.key.key_id, issued.secret)


def test_api_v1_answers_conform_to_its_document(app, client, bearer):
    # Logging out would end the session every later request uses.
    schema = load(app, "/api/openapi.json").exclude(path_regex=r"/auth/logout")
    failures = fuzz(schema, lambda case: case.call(session=client, headers=bearer))
    assert not failures, "\n\n".join(failures)


def test_open_v1_answers_conform_to_its_document(app, signing_client):
    failures = fuzz(load(app, "/open/v1/openapi.json"), lambda case: case.call(session=signing_client))
    assert not failures, "\n\n".join(failures)

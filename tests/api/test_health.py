"""``GET /health``: liveness, the database checked, and which jobferry answers with the schema
revision it needs."""

from __future__ import annotations

import jobferry
from jobferry.storage.schema import head_revision
from support.clients import SignedClient


def test_health_names_the_version_and_the_schema_it_needs(api: SignedClient) -> None:
    answer = api.client.get("/health")  # unsigned: no authentication

    assert answer.status_code == 200
    assert answer.json() == {
        "status": "ok",
        "version": jobferry.__version__,
        "schema": head_revision(),
        "packageStore": "local",
    }

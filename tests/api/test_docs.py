"""Health, the OpenAPI document and the interactive docs."""

from __future__ import annotations

import httpx

from tests.conftest import RunningGateway


def test_healthz_answers_without_credentials(gateway: RunningGateway) -> None:
    response = httpx.get(f"{gateway.base_url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_describes_the_send_endpoint_and_its_body(gateway: RunningGateway) -> None:
    schema = httpx.get(f"{gateway.base_url}/openapi.json").json()
    send = schema["paths"]["/v1/messages"]["post"]
    body_ref = send["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][body_ref.rsplit("/", 1)[-1]]
    assert set(body["required"]) == {"to", "from", "body"}
    assert body["additionalProperties"] is False
    assert any(p["name"] == "Idempotency-Key" for p in send["parameters"])
    assert "/v1/oauth/token" in schema["paths"]
    assert "/v1/messages/preview" in schema["paths"]
    assert {"apiKey", "bearer"} <= set(schema["components"]["securitySchemes"])


def test_interactive_docs_are_served(gateway: RunningGateway) -> None:
    response = httpx.get(f"{gateway.base_url}/docs")
    assert response.status_code == 200
    assert "swagger" in response.text.lower()

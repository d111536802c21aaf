"""Every job that crosses the writer survives pickling, as a writer in a process of its own
will need: each endpoint that writes through `Call`, and the webhook sender's secret load."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from smsgate.store import accounts as account_store
from smsgate.store.writer import Call, GroupCommitWriter, Job
from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway, WebhookSink, wait_for

# The function behind every `Call` in src/; the test below must make each of them run.
CALLED = {
    "smsgate.api.account._read_account",
    "smsgate.api.account._set_status_callback",
    "smsgate.api.numbers._add_number",
    "smsgate.api.numbers._update_number",
    "smsgate.store.numbers.remove_number",
    "smsgate.api.opt_outs._opt_out",
    "smsgate.api.opt_outs._opt_in",
    "smsgate.api.opt_outs._import_opt_outs",
    "smsgate.store.connectors.add_connector",
    "smsgate.store.connectors.remove_connector",
    "smsgate.store.routes.add_route",
    "smsgate.store.routes.remove_route",
    "smsgate.store.accounts.issue_token",
    "smsgate.store.signing_secrets.signing_secrets",
}


@pytest.fixture
def called(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every job submitted to any writer is pickled and unpickled before it runs (an
    unpicklable one fails its request); returns the names of the functions Calls ran."""
    names: list[str] = []
    submit = GroupCommitWriter.submit

    async def submit_pickled(self: GroupCommitWriter, job: Job[Any]) -> Any:
        copy = pickle.loads(pickle.dumps(job))
        if isinstance(copy, Call):
            names.append(f"{copy.fn.__module__}.{copy.fn.__qualname__}")
        return await submit(self, copy)

    monkeypatch.setattr(GroupCommitWriter, "submit", submit_pickled)
    return names


@pytest.fixture
def private_gateway(start_gateway: Callable[..., RunningGateway]) -> RunningGateway:
    """Webhooks to 127.0.0.1 (the sink) are allowed here."""
    return start_gateway(webhook_allow_private="1")


def operator(gateway: RunningGateway) -> Credentials:
    credentials = gateway.account("ops", mode="live")
    gateway.database.run_sync(lambda c: account_store.set_operator(c, "ops", True))
    return credentials


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def test_every_call_crosses_the_writer_pickled(
    called: list[str], private_gateway: RunningGateway, webhook_sink: WebhookSink
) -> None:
    acme = private_gateway.account("acme")
    private_gateway.add_number(acme, SENDER)
    with private_gateway.client(acme) as http:
        account = ok(http.patch("/v1/account", json={"status_callback": webhook_sink.url}))
        assert account["status_callback"] == webhook_sink.url
        assert ok(http.get("/v1/account"))["webhook_secret"] == account["webhook_secret"]

        number = ok(
            http.post(
                "/v1/numbers",
                json={"number": "+18005550100", "keyword_replies": {"help": "Call us"}},
            ),
            201,
        )
        assert number["type"] == "toll_free"
        changed = ok(
            http.patch(
                f"/v1/numbers/{number['id']}",
                json={"type": None, "mps": 2, "inbound_url": webhook_sink.url},
            )
        )
        assert (changed["type"], changed["mps"]) == ("toll_free", 2)
        ok(http.delete(f"/v1/numbers/{number['id']}"), 204)

        ok(http.post("/v1/opt-outs", json={"phone": "+14155550123"}), 201)
        ok(http.delete("/v1/opt-outs/+14155550123"), 204)
        assert http.delete("/v1/opt-outs/+14155550123").status_code == 404
        imported = ok(
            http.post(
                "/v1/opt-outs/import",
                json={"opt_outs": [{"phone": "+14155550124"}, {"phone": "nonsense"}]},
            )
        )
        assert (imported["imported"], [r["row"] for r in imported["rejected"]]) == (1, [2])

        message = {"to": RECIPIENT, "from": SENDER, "body": "hi"}
        sent = ok(http.post("/v1/messages", json=message), 201)
        wait_for(lambda: webhook_sink.events(sent["id"])[-1:] == ["delivered"])

    token = ok(
        httpx.post(
            f"{private_gateway.base_url}/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=acme.auth,
        )
    )
    assert token["token_type"] == "Bearer"

    assert private_gateway.gateway.simulator is not None
    connector = {
        "name": "sim2",
        "kind": "simulator",
        "host": "127.0.0.1",
        "port": private_gateway.gateway.simulator.port,
        "system_id": "smsgate",
        "password": "secret",
    }
    with private_gateway.client(operator(private_gateway)) as http:
        ok(http.post("/v1/connectors", json=connector), 201)
        ok(http.post("/v1/routes", json={"name": "to-sim2", "connectors": ["sim2"]}), 201)
        ok(http.delete("/v1/routes/to-sim2"), 204)
        ok(http.delete("/v1/connectors/sim2"), 204)

    assert CALLED - set(called) == set()

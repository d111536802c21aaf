"""The SDK against endpoints that land with issues 5 and 6 (numbers, opt-outs, cancel,
scheduling, usage, warnings), written to the agreed contract and run against a real
gateway once those branches are merged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from smsgate import bulk
from smsgate_client import (
    Client,
    ConflictError,
    KeywordReplies,
    NotFoundError,
    OptedOutError,
)
from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway

NEW_NUMBER = "+15005550100"


def other_client(gateway: RunningGateway) -> Client:
    other = gateway.account("other")
    return Client(other.key_id, other.secret, base_url=gateway.base_url, environ={})


def test_numbers_create_get_list_update_delete(sdk: Client, gateway: RunningGateway) -> None:
    created = sdk.numbers.create(
        NEW_NUMBER,
        inbound_url="https://example.com/inbound",
        keyword_replies=KeywordReplies(help="Reply STOP to stop."),
    )
    assert created.id.startswith("PN")
    assert (created.number, created.type) == (NEW_NUMBER, "long_code")
    assert created.keyword_replies.help == "Reply STOP to stop."
    assert sdk.numbers.get(created.id) == created
    assert created.id in [n.id for n in sdk.numbers.list(page_size=1)]

    updated = sdk.numbers.update(created.id, inbound_url=None, mps=5)
    assert (updated.inbound_url, updated.mps) == (None, 5)
    assert updated.keyword_replies.help == "Reply STOP to stop."  # left out: unchanged

    with pytest.raises(ConflictError):
        sdk.numbers.create(NEW_NUMBER)
    with other_client(gateway) as theirs, pytest.raises(NotFoundError):
        theirs.numbers.get(created.id)

    sdk.numbers.delete(created.id)
    with pytest.raises(NotFoundError):
        sdk.numbers.get(created.id)


def test_short_codes_and_alphanumeric_senders_are_typed(sdk: Client) -> None:
    assert sdk.numbers.create("12345").type == "short_code"
    assert sdk.numbers.create("ACME").type == "alphanumeric"


def test_opt_outs_add_list_remove_and_sending_is_refused(sdk: Client) -> None:
    added = sdk.opt_outs.add(RECIPIENT)
    assert (added.phone, added.number, added.source) == (RECIPIENT, None, "api")
    assert sdk.opt_outs.add(RECIPIENT).created_at == added.created_at  # already there
    assert [o.phone for o in sdk.opt_outs.list(phone=RECIPIENT)] == [RECIPIENT]

    with pytest.raises(OptedOutError) as caught:
        sdk.messages.send(RECIPIENT, "refused")
    assert caught.value.code == 21610

    sdk.opt_outs.remove(RECIPIENT)
    assert list(sdk.opt_outs.list(phone=RECIPIENT)) == []
    with pytest.raises(NotFoundError):
        sdk.opt_outs.remove(RECIPIENT)
    assert sdk.messages.send(RECIPIENT, "welcome back").status == "queued"


def test_opt_outs_import_and_export_round_trip(sdk: Client) -> None:
    result = sdk.opt_outs.import_([RECIPIENT, ("+14155552672", None), {"phone": "not a phone"}])
    assert (result.imported, result.existing) == (2, 0)
    assert [r.phone for r in result.rejected] == ["not a phone"]

    exported = sdk.opt_outs.export()
    assert exported.splitlines()[0] == "phone,number,source,created_at"
    assert RECIPIENT in exported

    again = sdk.opt_outs.import_(csv=exported)
    assert (again.imported, again.existing) == (0, 2)


def test_a_scheduled_message_can_be_cancelled(sdk: Client) -> None:
    send_at = datetime.now(UTC) + timedelta(hours=1)
    scheduled = sdk.messages.send(RECIPIENT, "later", send_at=send_at)
    assert scheduled.status == "scheduled"
    assert scheduled.send_at is not None
    assert abs((scheduled.send_at - send_at).total_seconds()) < 1

    canceled = sdk.messages.cancel(scheduled.id)
    assert canceled.status == "canceled"
    with pytest.raises(ConflictError):
        sdk.messages.cancel(scheduled.id)


def test_create_and_preview_carry_warnings(sdk: Client) -> None:
    assert sdk.messages.send(RECIPIENT, "hi").warnings == ()
    assert sdk.messages.preview(RECIPIENT, "hi").warnings == ()


def test_usage_counts_the_days_messages(sdk: Client, account: Credentials) -> None:
    sdk.messages.send(RECIPIENT, "counted")
    today = date.today()
    rows = sdk.usage.get(today - timedelta(days=1), today)
    assert sum(r.messages for r in rows) == 1
    assert rows[0].country == "US"


def test_bulk_sending_skips_an_opted_out_recipient_with_the_gateways_reason(
    sdk: Client, tmp_path: Path
) -> None:
    sdk.opt_outs.add("+14155552672")
    path = tmp_path / "recipients.csv"
    path.write_text("to,name\n+14155552671,Ann\n+14155552672,Bob\n")
    results = bulk.send_all(sdk, bulk.read_plan(path, "Hi {name}"), from_=SENDER, region=None)
    assert [r.status for r in results] == ["sent", "skipped"]
    assert results[1].code == 21610
    assert results[1].reason

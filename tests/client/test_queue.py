"""`OutboundQueue` against a real gateway: it sends what was enqueued, once, at its pace;
and a process killed with SIGKILL mid-stream, then started again, loses and repeats
nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsgate_client import Client, OutboundQueue, QueueCounts, RetryPolicy
from smsgate_client._bucket import TokenBucket
from tests.client.conftest import FaultServer, Step, problem
from tests.conftest import RECIPIENT, SENDER, Credentials, RunningGateway, wait_for


def bodies(gateway: RunningGateway, account: Credentials) -> list[str]:
    with gateway.client(account) as http:
        found = http.get("/v1/messages", params={"limit": 1000}).json()["messages"]
    return sorted(m["body"] for m in found)


@pytest.fixture
def queue(tmp_path: Path, sdk: Client) -> Iterator[OutboundQueue]:
    with OutboundQueue(tmp_path / "outbox.db", client=sdk, rate=100, burst=10) as opened:
        yield opened


def test_enqueued_messages_are_sent_once_each(
    queue: OutboundQueue, gateway: RunningGateway, account: Credentials
) -> None:
    keys = [queue.enqueue(RECIPIENT, f"queued {i}") for i in range(5)]
    assert queue.wait_until_empty(timeout=20)
    assert queue.counts() == QueueCounts(pending=0, sent=5, failed=0)
    assert bodies(gateway, account) == [f"queued {i}" for i in range(5)]
    rows = queue.messages()
    assert [r.idempotency_key for r in rows] == keys
    assert all(r.state == "sent" and r.message_id and r.message_id.startswith("SM") for r in rows)


def test_the_same_key_enqueued_twice_is_one_message(
    queue: OutboundQueue, gateway: RunningGateway, account: Credentials
) -> None:
    assert queue.enqueue(RECIPIENT, "once", key="order-1") == "order-1"
    queue.enqueue(RECIPIENT, "once", key="order-1")
    assert queue.wait_until_empty(timeout=20)
    assert queue.counts().sent == 1
    assert bodies(gateway, account) == ["once"]


def test_a_refused_message_is_failed_with_the_gateways_sentence(queue: OutboundQueue) -> None:
    queue.enqueue("+1 (415) 555-2671", "bad number")
    queue.enqueue(RECIPIENT, "good number")
    assert queue.wait_until_empty(timeout=20)
    assert queue.counts() == QueueCounts(pending=0, sent=1, failed=1)
    (failed,) = queue.messages("failed")
    assert failed.error is not None
    assert "'+14155552671'" in failed.error
    assert failed.attempts == 1


def test_transient_failures_are_retried_by_the_queue_with_the_same_key(
    tmp_path: Path, gateway: RunningGateway, account: Credentials
) -> None:
    faults = FaultServer(upstream=gateway.base_url).start()
    try:
        faults.script = [Step(503, body=problem(503, 20500, "busy"))] * 2
        once = RetryPolicy(max_attempts=1)  # so the retries seen are the queue's own
        with (
            Client(account.key_id, account.secret, base_url=faults.url, default_from=SENDER,
                   retry=once, environ={}) as client,
            OutboundQueue(tmp_path / "q.db", client=client, rate=100, backoff_base=0.01) as queue,
        ):  # fmt: skip
            queue.enqueue(RECIPIENT, "third time lucky")
            assert queue.wait_until_empty(timeout=20)
            assert queue.messages()[0].attempts == 3
        sent_keys = {s.headers["idempotency-key"] for s in faults.seen}
        assert len(faults.seen) == 3
        assert len(sent_keys) == 1
    finally:
        faults.stop()
    assert bodies(gateway, account) == ["third time lucky"]


def test_a_crash_after_the_gateway_committed_does_not_send_twice(
    tmp_path: Path, sdk: Client, gateway: RunningGateway, account: Credentials
) -> None:
    # The worker sent the message and died before it could mark the row: the state a
    # SIGKILL leaves at the worst moment. The next worker sends it again, with its key.
    path = tmp_path / "outbox.db"
    with OutboundQueue(path, client=sdk, start=False) as stopped:
        key = stopped.enqueue(RECIPIENT, "sent before the crash")
        first = sdk.messages.send(RECIPIENT, "sent before the crash", idempotency_key=key)
    with OutboundQueue(path, client=sdk, rate=100) as restarted:
        assert restarted.wait_until_empty(timeout=20)
        assert restarted.messages()[0].message_id == first.id
    assert bodies(gateway, account) == ["sent before the crash"]


SENDER_PROGRAM = textwrap.dedent(
    """
    import sys
    from smsgate_client import Client, OutboundQueue

    path, url, key_id, secret, sender, recipient, count = sys.argv[1:]
    client = Client(key_id, secret, base_url=url, default_from=sender, environ={})
    queue = OutboundQueue(path, client=client, rate=25, lease_seconds=1.0, backoff_base=0.05)
    # The app's own loop: run again after a crash, the keys make it add nothing twice.
    for i in range(int(count)):
        queue.enqueue(recipient, f"message {i:02}", key=f"job-{i}")
    queue.wait_until_empty()
    print("drained", queue.counts(), flush=True)
    queue.close()
    """
)


def test_a_sigkilled_sender_restarted_sends_each_message_exactly_once(
    tmp_path: Path, gateway: RunningGateway, account: Credentials
) -> None:
    count = 40
    program = tmp_path / "sender.py"
    program.write_text(SENDER_PROGRAM)
    args = [sys.executable, str(program), str(tmp_path / "outbox.db"), gateway.base_url,
            account.key_id, account.secret, SENDER, RECIPIENT, str(count)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMSGATE_")}

    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(bodies(gateway, account)) >= 5, timeout=30)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert first.stdout is not None
        first.stdout.close()
    sent_before_restart = len(bodies(gateway, account))
    assert sent_before_restart < count, "the kill came too late to be mid-stream"

    second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0, second.stderr
    assert "pending=0, sent=40, failed=0" in second.stdout
    assert bodies(gateway, account) == [f"message {i:02}" for i in range(count)]


def test_the_token_bucket_paces_sends() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=2, clock=lambda: now[0])
    for _ in range(2):
        assert bucket.wait_time() == 0
        bucket.take()
    assert bucket.wait_time() == pytest.approx(0.5)
    now[0] = 0.5
    assert bucket.wait_time() == 0
    bucket.take()
    now[0] = 100.0
    assert bucket.wait_time() == 0  # refills, but never past the burst
    bucket.take()
    bucket.take()
    assert bucket.wait_time() > 0


def test_a_bucket_that_cannot_work_is_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(rate=0)

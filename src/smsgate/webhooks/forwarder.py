"""`smsgate listen`: read the account's event stream and POST each event, signed, to a
local URL, so webhooks can be developed without exposing a server to the internet.

The events are signed with the account's current secret, exactly as the gateway signs
webhooks, so the receiver's verification code is the one it will run in production. When
the stream drops, the forwarder reconnects with backoff and resumes after the last event
it forwarded (`Last-Event-ID`), so nothing is skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from smsgate.webhooks.signing import signed_headers

RECONNECT_CAP = 30.0


@dataclass(frozen=True, slots=True)
class SseEvent:
    id: str | None
    event: str
    data: str


def parse_sse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Events from Server-Sent Events lines (WHATWG HTML §9.2.6), comments skipped."""
    event_id: str | None = None
    kind = "message"
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield SseEvent(event_id, kind, "\n".join(data))
            kind, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id":
            event_id = value
        elif field == "event":
            kind = value
        elif field == "data":
            data.append(value)


@dataclass(frozen=True, slots=True)
class Forwarded:
    event: SseEvent
    status_code: int | None
    latency_ms: int
    error: str | None


class Forwarder:
    def __init__(
        self,
        api: httpx.Client,
        target: str,
        secret: str,
        *,
        report: Callable[[Forwarded], None],
        notice: Callable[[str], None],
    ) -> None:
        self._api = api
        self._target = target
        self._secret = secret
        self._report = report
        self._notice = notice
        self._last_id: str | None = None

    def run(self, *, max_events: int | None = None) -> None:
        """Forward events until interrupted (or `max_events` were forwarded)."""
        forwarded = 0
        failures = 0
        with httpx.Client(timeout=10, follow_redirects=False) as local:
            while max_events is None or forwarded < max_events:
                headers = {"Last-Event-ID": self._last_id} if self._last_id else {}
                try:
                    with self._api.stream(
                        "GET",
                        "/v1/events",
                        headers=headers,
                        timeout=httpx.Timeout(10, read=60),
                    ) as stream:
                        stream.raise_for_status()
                        failures = 0
                        self._notice("connected to the event stream")
                        for event in parse_sse(stream.iter_lines()):
                            self._report(self._forward(local, event))
                            self._last_id = event.id
                            forwarded += 1
                            if max_events is not None and forwarded >= max_events:
                                return
                except httpx.HTTPStatusError:
                    raise
                except httpx.HTTPError as exc:
                    failures += 1
                    delay = min(RECONNECT_CAP, 0.5 * 2**failures)
                    self._notice(f"event stream lost ({exc}); reconnecting in {delay:.0f} s")
                    time.sleep(delay)

    def _forward(self, local: httpx.Client, event: SseEvent) -> Forwarded:
        now = datetime.now(UTC)
        headers = signed_headers(f"evt_{event.id}", now, event.data, [self._secret])
        headers["content-type"] = "application/json"
        started = time.monotonic()
        try:
            response = local.post(self._target, content=event.data, headers=headers)
        except httpx.HTTPError as exc:
            elapsed = int((time.monotonic() - started) * 1000)
            return Forwarded(event, None, elapsed, f"{type(exc).__name__}: {exc}")
        elapsed = int((time.monotonic() - started) * 1000)
        return Forwarded(event, response.status_code, elapsed, None)

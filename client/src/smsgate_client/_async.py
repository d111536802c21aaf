"""`AsyncClient`: the SDK for asyncio, method for method the twin of `_sync.Client`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import date, datetime
from types import TracebackType
from typing import Any

import httpx

from smsgate_client import _calls as calls
from smsgate_client._calls import DEFAULT_PAGE_SIZE, NOT_GIVEN, Direction, NotGiven, OptOutRow
from smsgate_client._config import DEFAULT_TIMEOUT, ClientConfig
from smsgate_client._http import ApiRequest, AsyncTransport
from smsgate_client._models import (
    Account,
    KeywordReplies,
    Message,
    Number,
    OptOut,
    OptOutImport,
    Preview,
    UsageRow,
    WebhookDelivery,
    WhoAmI,
)
from smsgate_client._pages import parse_page
from smsgate_client._retry import RetryPolicy


class _Resource:
    def __init__(self, transport: AsyncTransport, config: ClientConfig) -> None:
        self._transport = transport
        self._config = config

    async def _pages(
        self, path: str, key: str, filters: Mapping[str, Any], page_size: int
    ) -> AsyncIterator[Mapping[str, Any]]:
        cursor: str | None = None
        while True:
            page = parse_page(
                await self._transport.json(calls.page_request(path, filters, page_size, cursor)),
                key,
            )
            for item in page.items:
                yield item
            if not page.has_more or page.next_cursor is None:
                return
            cursor = page.next_cursor


class Messages(_Resource):
    async def send(
        self,
        to: str,
        body: str,
        *,
        from_: str | None = None,
        status_callback: str | None = None,
        send_at: datetime | str | None = None,
        validity_period: int | None = None,
        smart_encoding: bool | None = None,
        idempotency_key: str | None = None,
    ) -> Message:
        """Send a message; returns it once the gateway has committed it (status `queued`,
        or `scheduled` with `send_at`).

        One `Idempotency-Key` (yours, or a fresh one) goes with every retry of this call,
        so a retry after a lost answer returns the same message and sends nothing twice.

        Raises:
            InvalidRequestError: the gateway refused it (`.code`, `.field` say why);
                OptedOutError when the recipient opted out.
            RateLimitError, ServerError, APIConnectionError: still failing after retries.
        """
        return Message.from_json(
            await self._transport.json(
                calls.send_message(
                    to,
                    body,
                    from_=from_,
                    default_from=self._config.default_from,
                    status_callback=status_callback,
                    send_at=send_at,
                    validity_period=validity_period,
                    smart_encoding=smart_encoding,
                    idempotency_key=idempotency_key,
                )
            )
        )

    async def preview(
        self,
        to: str,
        body: str,
        *,
        from_: str | None = None,
        validity_period: int | None = None,
        smart_encoding: bool | None = None,
    ) -> Preview:
        """The same checks as `send`, with segments and price, without sending anything."""
        return Preview.from_json(
            await self._transport.json(
                calls.preview_message(
                    to,
                    body,
                    from_=from_,
                    default_from=self._config.default_from,
                    validity_period=validity_period,
                    smart_encoding=smart_encoding,
                )
            )
        )

    async def get(self, message_id: str) -> Message:
        """The message with its status history. NotFoundError if it is not this account's."""
        return Message.from_json(await self._transport.json(calls.get_message(message_id)))

    async def cancel(self, message_id: str) -> Message:
        """Cancel a scheduled or queued message. ConflictError once it is past cancelling."""
        return Message.from_json(await self._transport.json(calls.cancel_message(message_id)))

    async def list(
        self,
        *,
        status: str | None = None,
        to: str | None = None,
        from_: str | None = None,
        direction: Direction | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Message]:
        """Every matching message, newest first; pages are fetched as you iterate."""
        filters = calls.message_filters(
            status=status,
            to=to,
            from_=from_,
            direction=direction,
            created_after=created_after,
            created_before=created_before,
        )
        async for item in self._pages("/v1/messages", "messages", filters, page_size):
            yield Message.from_json(item)


class Numbers(_Resource):
    async def create(
        self,
        number: str,
        *,
        type: str | None = None,
        inbound_url: str | None = None,
        status_callback: str | None = None,
        mps: int | None = None,
        marketing: bool = False,
        keyword_replies: KeywordReplies | None = None,
    ) -> Number:
        """Register a sender: E.164 number, short code or alphanumeric ID (type inferred).

        Raises ConflictError if it is already registered."""
        return Number.from_json(
            await self._transport.json(
                calls.create_number(
                    number,
                    type=type,
                    inbound_url=inbound_url,
                    status_callback=status_callback,
                    mps=mps,
                    marketing=marketing,
                    keyword_replies=keyword_replies,
                )
            )
        )

    async def get(self, number_id: str) -> Number:
        return Number.from_json(await self._transport.json(calls.get_number(number_id)))

    async def list(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Number]:
        async for item in self._pages("/v1/numbers", "numbers", {}, page_size):
            yield Number.from_json(item)

    async def update(
        self,
        number_id: str,
        *,
        type: str | NotGiven = NOT_GIVEN,
        inbound_url: str | NotGiven | None = NOT_GIVEN,
        status_callback: str | NotGiven | None = NOT_GIVEN,
        mps: int | NotGiven | None = NOT_GIVEN,
        marketing: bool | NotGiven = NOT_GIVEN,
        keyword_replies: KeywordReplies | NotGiven = NOT_GIVEN,
    ) -> Number:
        """Change what is given; None clears a field, what is left out stays as it is."""
        changes = {
            "type": type,
            "inbound_url": inbound_url,
            "status_callback": status_callback,
            "mps": mps,
            "marketing": marketing,
            "keyword_replies": keyword_replies,
        }
        return Number.from_json(await self._transport.json(calls.update_number(number_id, changes)))

    async def delete(self, number_id: str) -> None:
        await self._transport.send(calls.delete_number(number_id))


class OptOuts(_Resource):
    async def list(
        self,
        *,
        phone: str | None = None,
        number: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[OptOut]:
        filters = {"phone": phone, "number": number}
        async for item in self._pages("/v1/opt-outs", "opt_outs", filters, page_size):
            yield OptOut.from_json(item)

    async def add(self, phone: str, *, number: str | None = None) -> OptOut:
        """Opt `phone` out of one of your numbers, or (number None) of the whole account."""
        return OptOut.from_json(await self._transport.json(calls.add_opt_out(phone, number)))

    async def remove(self, phone: str, *, number: str | None = None) -> None:
        """Opt `phone` back in. NotFoundError if it was not opted out."""
        await self._transport.send(calls.remove_opt_out(phone, number))

    async def import_(
        self, rows: Iterable[OptOutRow] | None = None, *, csv: str | bytes | None = None
    ) -> OptOutImport:
        """Add many: phones, (phone, number) pairs or mappings; or a CSV `phone,number`."""
        return OptOutImport.from_json(await self._transport.json(calls.import_opt_outs(rows, csv)))

    async def export(self) -> str:
        """Every opt-out as CSV (`phone,number,source,created_at`), ready to import again."""
        return (await self._transport.send(ApiRequest("GET", "/v1/opt-outs/export"))).text


class AccountResource(_Resource):
    async def get(self) -> Account:
        return Account.from_json(await self._transport.json(ApiRequest("GET", "/v1/account")))

    async def update(self, *, status_callback: str | None) -> Account:
        """Set (or, with None, remove) the account's default status webhook."""
        request = ApiRequest("PATCH", "/v1/account", json={"status_callback": status_callback})
        return Account.from_json(await self._transport.json(request))


class WebhookDeliveries(_Resource):
    async def list(
        self,
        *,
        message_id: str | None = None,
        status: str | None = None,
        page_size: int = 50,
    ) -> AsyncIterator[WebhookDelivery]:
        filters = {"message_id": message_id, "status": status}
        async for item in self._pages("/v1/webhook-deliveries", "deliveries", filters, page_size):
            yield WebhookDelivery.from_json(item)

    async def redeliver(self, delivery_id: str) -> WebhookDelivery:
        return WebhookDelivery.from_json(
            await self._transport.json(calls.redeliver_webhook(delivery_id))
        )


class Usage(_Resource):
    async def get(self, start: date | str, end: date | str) -> list[UsageRow]:
        """Messages, segments and spend per day and country, `start` to `end` inclusive."""
        data = await self._transport.json(calls.usage(start, end))
        return [UsageRow.from_json(row) for row in data.get("usage", [])]


class AsyncClient:
    """The smsgate API, for asyncio.

    Args:
        key_id: the API key id (SK…); default: `SMSGATE_KEY_ID`.
        secret: its secret; default: `SMSGATE_SECRET`.
        base_url: the gateway; default: `SMSGATE_URL`, else http://127.0.0.1:8080.
        default_from: the sender when `send` gets no `from_`; default: `SMSGATE_FROM`.
        timeout: per attempt, seconds or an `httpx.Timeout`.
        retry: how many attempts and how long (see `RetryPolicy`).
        environ: where to read the variables above (default `os.environ`).
        transport: an httpx transport, e.g. `httpx.MockTransport` in your tests.

    Use it as an async context manager, or await `aclose()`, to release its connections.
    """

    def __init__(
        self,
        key_id: str | None = None,
        secret: str | None = None,
        *,
        base_url: str | None = None,
        default_from: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        environ: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = ClientConfig.resolve(key_id, secret, base_url, default_from, environ)
        self._http = httpx.AsyncClient(
            base_url=self.config.base_url,
            auth=(self.config.key_id, self.config.secret),
            headers=self.config.headers(),
            timeout=timeout,
            transport=transport,
        )
        transport_ = AsyncTransport(self._http, retry or RetryPolicy())
        self.messages = Messages(transport_, self.config)
        self.numbers = Numbers(transport_, self.config)
        self.opt_outs = OptOuts(transport_, self.config)
        self.account = AccountResource(transport_, self.config)
        self.webhook_deliveries = WebhookDeliveries(transport_, self.config)
        self.usage = Usage(transport_, self.config)
        self._transport = transport_

    async def whoami(self) -> WhoAmI:
        """The account and key behind these credentials (a cheap check that they work)."""
        return WhoAmI.from_json(await self._transport.json(ApiRequest("GET", "/v1/whoami")))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self.config.base_url!r}, key_id={self.config.key_id!r})"

"""smsgate-client: the Python SDK for smsgate.

    from smsgate_client import Client

    with Client() as client:  # SMSGATE_KEY_ID, SMSGATE_SECRET, SMSGATE_URL
        message = client.messages.send("+14155552671", "Your code is 123456", from_="+15005550006")

`smsgate_client.webhooks.verify` checks a webhook; `smsgate_client.phone.to_e164` cleans up a
number as typed; `OutboundQueue` sends from a durable local queue at a set pace.
"""

from smsgate_client import phone, webhooks
from smsgate_client._async import AsyncClient
from smsgate_client._calls import NOT_GIVEN, NotGiven
from smsgate_client._errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConflictError,
    InsufficientBalanceError,
    InvalidPhoneNumberError,
    InvalidRequestError,
    NotFoundError,
    OptedOutError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SmsgateError,
    WebhookVerificationError,
)
from smsgate_client._models import (
    Account,
    KeywordReplies,
    Message,
    MessageEvent,
    MessageWarning,
    Number,
    OptOut,
    OptOutImport,
    Preview,
    RejectedOptOut,
    UsageRow,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WhoAmI,
)
from smsgate_client._queue import OutboundQueue, QueueCounts, QueuedMessage
from smsgate_client._retry import RetryPolicy
from smsgate_client._sync import Client

__version__ = "0.1.0"
__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APITimeoutError",
    "Account",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "InsufficientBalanceError",
    "InvalidPhoneNumberError",
    "InvalidRequestError",
    "KeywordReplies",
    "Message",
    "MessageEvent",
    "MessageWarning",
    "NotFoundError",
    "NotGiven",
    "Number",
    "OptOut",
    "OptOutImport",
    "OptedOutError",
    "OutboundQueue",
    "PermissionDeniedError",
    "Preview",
    "QueueCounts",
    "QueuedMessage",
    "RateLimitError",
    "RejectedOptOut",
    "RetryPolicy",
    "ServerError",
    "SmsgateError",
    "UsageRow",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookVerificationError",
    "WhoAmI",
    "phone",
    "webhooks",
]

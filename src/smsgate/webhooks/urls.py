"""Where a webhook may point.

A gateway that POSTs wherever a customer says can be made to reach the operator's own
network (SSRF). Unless `webhooks.allow_private` is set, a URL must be http(s) and its host
must not be a loopback, private, link-local, reserved or metadata address. This checks the
URL as written; the sender checks the resolved address again at delivery time.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from smsgate.errors import InvalidParameterError

_LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".home.arpa")


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_webhook_url(url: str, *, allow_private: bool, field: str) -> str:
    """Return `url` if a webhook may be sent there; InvalidParameterError otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParameterError(
            f"{field} '{url}' is not an absolute http:// or https:// URL.", field=field
        )
    del port
    if allow_private:
        return url
    host = parts.hostname.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(_LOCAL_NAMES):
            raise InvalidParameterError(
                f"{field} '{url}' points at a local host name; webhooks go to public hosts "
                "unless the gateway runs with SMSGATE_WEBHOOK_ALLOW_PRIVATE=1.",
                field=field,
            ) from None
        return url
    if not is_public_address(address):
        raise InvalidParameterError(
            f"{field} '{url}' points at the non-public address {address}; webhooks go to public "
            "addresses unless the gateway runs with SMSGATE_WEBHOOK_ALLOW_PRIVATE=1.",
            field=field,
        )
    return url


class Refused(Exception):
    """A webhook host that may not be sent to; the message is a sentence saying why."""


async def public_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, when every one is public; else Refused.

    The sender checks this before each attempt, so a name that resolves to a private
    address is refused even when its URL looked public when it was set. It then connects
    to these very addresses: a name that answers otherwise a moment later (DNS
    rebinding) cannot move the request to a private address.
    """
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused(f"the host {host!r} does not resolve ({exc.strerror or exc})") from exc
    addresses: list[str] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not is_public_address(address):
            raise Refused(
                f"the host {host!r} resolves to the non-public address {address}; webhooks go "
                "to public addresses unless SMSGATE_WEBHOOK_ALLOW_PRIVATE=1"
            )
        if str(address) not in addresses:
            addresses.append(str(address))
    if not addresses:
        raise Refused(f"the host {host!r} resolves to no address")
    return addresses

"""Where webhooks may go: refuse URLs that would make the platform call into private networks.

A merchant chooses the URL and we call it from inside our network, so an endpoint pointing at
127.0.0.1, 10.0.0.0/8 or the cloud metadata address (169.254.169.254) would let a merchant probe
or attack our own systems (SSRF). The host is resolved and every address it resolves to must be
public. The check runs at registration and again before every send, because DNS can change in
between (rebinding). `WEBHOOKS_ALLOW_PRIVATE_URLS` (on in development and tests, off in
production) lets local receivers through.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from apps.webhooks.exceptions import UnsafeWebhookUrl

ALLOWED_SCHEMES = {"http", "https"}


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeWebhookUrl(f"The host {host!r} does not resolve.") from exc
    return sorted({info[4][0] for info in infos})


def check_destination(url: str) -> None:
    """Raise UnsafeWebhookUrl unless `url` is http(s) and its host resolves only to public addresses."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeWebhookUrl("Send a valid http or https URL.") from exc
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise UnsafeWebhookUrl("Send an http or https URL with a host name.")
    if parts.username or parts.password:
        raise UnsafeWebhookUrl("Put no user name or password in the URL; the signature authenticates us.")
    if settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        return
    for address in resolve(parts.hostname, port):
        if not _is_public(ipaddress.ip_address(address.split("%", 1)[0])):
            raise UnsafeWebhookUrl(
                f"The host {parts.hostname!r} resolves to {address}, a loopback, private, link-local or "
                "reserved address; webhooks go to public addresses only."
            )

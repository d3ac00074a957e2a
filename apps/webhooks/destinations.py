"""Where webhooks may go: refuse URLs that would make the platform call into private networks.

A merchant chooses the URL and we call it from inside our network, so an endpoint pointing at
127.0.0.1, 10.0.0.0/8 or the cloud metadata address (169.254.169.254) would let a merchant probe
or attack our own systems (SSRF). The host is resolved and every address it resolves to must be
public. The check runs at registration and again before every send, because DNS can change in
between; and the send connects to the very address it checked (`pinned_destination`, with the
URL's host kept in the Host header and TLS server name), since a second lookup by the HTTP
client could answer differently (DNS rebinding). IPv6 ranges that carry an IPv4 address
(6to4, Teredo, NAT64, IPv4-compatible and -translated) are refused whatever the address inside.
`WEBHOOKS_ALLOW_PRIVATE_URLS` (on in development and tests, off in production) lets local
receivers through.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext

from apps.webhooks.exceptions import UnsafeWebhookUrl

ALLOWED_SCHEMES = {"http", "https"}

# Python counts these as global, but each reaches an IPv4 address (perhaps a private one) through
# a relay or translator, or is deprecated and may route anywhere.
SPECIAL_IPV6 = [
    ipaddress.ip_network(n)
    for n in (
        "2002::/16",  # 6to4
        "2001::/32",  # Teredo
        "64:ff9b::/96",  # NAT64, well-known prefix
        "64:ff9b:1::/48",  # NAT64, local use
        "::/96",  # IPv4-compatible (deprecated)
        "::ffff:0:0:0/96",  # IPv4-translated
        "fec0::/10",  # site-local (deprecated)
    )
]


@dataclass(frozen=True)
class Destination:
    """Where to send: the URL with its host replaced by the checked address, and the name to
    present in the Host header and as the TLS server name (so certificates still verify)."""

    url: str
    host_header: str
    server_name: str


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv6Address) and any(address in network for network in SPECIAL_IPV6):
        return False
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
        raise UnsafeWebhookUrl(gettext("The host %(host)r does not resolve.") % {"host": host}) from exc
    return list(dict.fromkeys(info[4][0] for info in infos))  # in the resolver's order of preference


def check_destination(url: str) -> None:
    """Raise UnsafeWebhookUrl unless `url` is http(s) and its host resolves only to public addresses."""
    _checked(url, resolve_always=False)


def pinned_destination(url: str) -> Destination:
    """Resolve `url`'s host once, check it as `check_destination` does, and say where to connect."""
    return _checked(url, resolve_always=True)


def _checked(url: str, *, resolve_always: bool) -> Destination | None:
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeWebhookUrl(gettext("Send a valid http or https URL.")) from exc
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise UnsafeWebhookUrl(gettext("Send an http or https URL with a host name."))
    if parts.username or parts.password:
        raise UnsafeWebhookUrl(gettext("Put no user name or password in the URL; the signature authenticates us."))
    if settings.WEBHOOKS_ALLOW_PRIVATE_URLS and not resolve_always:
        return None
    addresses = resolve(parts.hostname, port)
    if not settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        for address in addresses:
            if not _is_public(ipaddress.ip_address(address.split("%", 1)[0])):
                raise UnsafeWebhookUrl(
                    gettext(
                        "The host %(host)r resolves to %(address)s, a loopback, private, link-local or reserved "
                        "address; webhooks go to public addresses only."
                    )
                    % {"host": parts.hostname, "address": address}
                )
    address = ipaddress.ip_address(addresses[0].split("%", 1)[0])
    literal = f"[{address}]" if address.version == 6 else str(address)
    return Destination(
        url=parts._replace(netloc=f"{literal}:{port}").geturl(),
        host_header=parts.netloc.rsplit("@", 1)[-1],
        server_name=parts.hostname,
    )

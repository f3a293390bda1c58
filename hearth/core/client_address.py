"""The real client address of a request, behind the proxies the operator trusts (issue #17).

Behind a load balancer ``REMOTE_ADDR`` is the balancer: every customer would share one sign-in
throttle key, one look-up throttle and one statistics visitor. Each proxy appends the address it
saw to ``X-Forwarded-For``, so the header is read right to left: while the hop that handed us the
request is a trusted proxy, the address it reports is believed; the first address not in the
trusted list is the client. Without trusted proxies (the default) the header is ignored entirely,
so a client can never choose its own address by sending one.

Behind ``hearth serve``'s front the web processes listen on a Unix socket: the peer has no address
(``REMOTE_ADDR`` is empty) and is the front, the one process that can open that socket. With
``HEARTH_TRUST_UNIX_PEER`` (which serve sets for them) that peer counts as a trusted proxy.

Why not django-ipware / python-ipware (which django-axes uses): they pick an address from the
header chain by position or by proxy-address prefix, but do not anchor on the socket peer, so a
client connecting directly can forge the whole chain. This is the whole rule, in one pure function.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``HEARTH_TRUSTED_PROXIES`` entries: addresses or CIDR blocks (``10.0.0.0/8``, ``::1``).
    A bad entry raises ``ValueError`` naming it: a typo must not silently trust nobody."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"HEARTH_TRUSTED_PROXIES: {value!r} is not an address or CIDR block"
            ) from None
    return tuple(networks)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_address(
    meta: Mapping[str, Any], trusted: Sequence[Network], *, unix_peer: bool = False
) -> str:
    """The client's address from a WSGI environ / ``request.META`` (pure; no settings read).
    ``unix_peer``: a request on a Unix socket (no ``REMOTE_ADDR``) came from a trusted proxy."""
    peer = str(meta.get("REMOTE_ADDR", "") or "")
    hops = [hop for hop in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",") if hop.strip()]
    if not peer and unix_peer and hops:
        current = _address(hops.pop())
        if current is None:  # the front always writes an address: stop at what we know
            return peer
    else:
        current = _address(peer)
        if current is None or not trusted:
            return peer
    while any(current in network for network in trusted) and hops:
        reported = _address(hops.pop())
        if reported is None:  # a trusted proxy would not write this: stop at what we know
            break
        current = reported
    return str(current)


@lru_cache(maxsize=4)
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def client_of(request: Any) -> str:
    """The client's address for this request, with the configured trusted proxies."""
    trusted = _trusted(tuple(getattr(settings, "HEARTH_TRUSTED_PROXIES", ())))
    unix_peer = bool(getattr(settings, "HEARTH_TRUST_UNIX_PEER", False))
    return client_address(request.META, trusted, unix_peer=unix_peer)

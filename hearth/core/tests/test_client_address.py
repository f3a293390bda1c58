"""The real client behind trusted proxies: X-Forwarded-For is read right to left, and only from
a request that came through a proxy the operator trusts (issue #17 item 6)."""

from __future__ import annotations

import pytest
from django.core import checks

from hearth.core.apps import check_trusted_proxies
from hearth.core.client_address import client_address, client_of, parse_networks

BALANCER = parse_networks(["10.0.0.0/8"])
TWO_TIERS = parse_networks(["10.0.0.0/8", "192.168.1.1", "::1"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "client"),
    [
        # no trusted proxy configured: the header is never believed
        ("203.0.113.9", "198.51.100.1", (), "203.0.113.9"),
        # from the balancer: the address it saw
        ("10.0.0.5", "198.51.100.1", BALANCER, "198.51.100.1"),
        # a client that forges a chain before it reaches the balancer gets its real address
        ("10.0.0.5", "1.2.3.4, 198.51.100.1", BALANCER, "198.51.100.1"),
        # a client connecting directly cannot choose its address
        ("203.0.113.9", "198.51.100.1", BALANCER, "203.0.113.9"),
        # two trusted tiers: skip both, right to left
        ("10.0.0.5", "198.51.100.1, 192.168.1.1", TWO_TIERS, "198.51.100.1"),
        ("::1", "198.51.100.1, 10.2.3.4", TWO_TIERS, "198.51.100.1"),
        # only trusted hops: the leftmost one is the client (an internal caller)
        ("10.0.0.5", "10.9.9.9", BALANCER, "10.9.9.9"),
        # from the balancer with no header: the balancer itself
        ("10.0.0.5", "", BALANCER, "10.0.0.5"),
        # ports and IPv6 brackets as some proxies write them
        ("10.0.0.5", "198.51.100.1:51234", BALANCER, "198.51.100.1"),
        ("10.0.0.5", "[2001:db8::7]:443", BALANCER, "2001:db8::7"),
        # garbage where the proxy's entry should be: stop at the last address we trust
        ("10.0.0.5", "not-an-address", BALANCER, "10.0.0.5"),
        ("10.0.0.5", "198.51.100.1, <script>", BALANCER, "10.0.0.5"),
        # a peer that is no address (unix socket, test client quirks) is passed through
        ("", "198.51.100.1", BALANCER, ""),
    ],
)
def test_client_address_reads_forwarded_for_only_through_trusted_proxies(
    remote, forwarded, trusted, client
):
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta, trusted) == client


@pytest.mark.parametrize(
    ("forwarded", "trusted", "client"),
    [
        # behind hearth serve's front: the address the front saw
        ("198.51.100.1", (), "198.51.100.1"),
        # a client that sends its own header to the front is not believed
        ("203.0.113.7, 198.51.100.1", (), "198.51.100.1"),
        # a balancer the operator trusts in front of the front: the address it saw
        ("198.51.100.1, 10.0.0.5", BALANCER, "198.51.100.1"),
        ("203.0.113.7, 198.51.100.1, 10.0.0.5", BALANCER, "198.51.100.1"),
        # an untrusted client of the front that claims a balancer's address gets nothing more
        ("203.0.113.7, 198.51.100.1", BALANCER, "198.51.100.1"),
        # garbage where the front's entry should be, or no header: no address
        ("not-an-address", (), ""),
        ("", (), ""),
    ],
)
def test_behind_the_front_the_unix_socket_peer_is_the_trusted_proxy(forwarded, trusted, client):
    meta = {"REMOTE_ADDR": "", "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_address(meta, trusted, unix_peer=True) == client
    # Without the setting a peer with no address is passed through, header or not.
    assert client_address(meta, trusted) == ""


def test_the_unix_peer_setting_reaches_every_caller(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.1", REMOTE_ADDR="")
    settings.HEARTH_TRUST_UNIX_PEER = False
    assert client_of(request) == ""
    settings.HEARTH_TRUST_UNIX_PEER = True
    assert client_of(request) == "198.51.100.1"


def test_a_mistyped_trusted_proxy_is_a_start_up_error(settings):
    settings.HEARTH_TRUSTED_PROXIES = ["10.0.0.0/8", "10.0.0.300"]
    errors = check_trusted_proxies()
    assert [e.id for e in errors] == ["hearth.E001"]
    assert "10.0.0.300" in errors[0].msg and errors[0].level == checks.ERROR
    settings.HEARTH_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert check_trusted_proxies() == []

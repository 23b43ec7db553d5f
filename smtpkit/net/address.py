"""Which addresses a check may connect to, and what an address is, in plain words.

A check must never be turned against the user's own network, so by default only
public (globally routable) addresses are contacted. `allow_private` (the
practice lab, your own test servers) lifts that for private, loopback and
link-local addresses, but never for the documentation ranges (RFC 5737,
RFC 3849) or addresses no connection can go to (unspecified, multicast): no
server lives there. A connection to one could only wait out its timeout, or
leave this machine for whatever a network routes them to; and the lab's zones
use them for hosts that are meant not to be reachable.
"""

from __future__ import annotations

import ipaddress

#: Python's `is_private` also holds the documentation and link-local ranges; these are what "private" means.
PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
#: Reserved for examples in documentation (RFC 5737 for IPv4, RFC 3849 for IPv6).
DOCUMENTATION = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


def is_public(address: str) -> bool:
    """Whether `address` is reachable from the internet (globally routable); False for what is not an address."""
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


def is_documentation(address: str) -> bool:
    """Whether `address` lies in a documentation range: an example, never a real host."""
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(addr in n for n in DOCUMENTATION)


def may_connect(address: str, allow_private: bool = False) -> bool:
    """Whether a check may open a connection to `address`.

    Public addresses always; private, loopback and link-local ones only with
    `allow_private`; documentation, unspecified and multicast ones never.
    """
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        return False
    if addr.is_unspecified or addr.is_multicast or is_documentation(address):
        return False
    return addr.is_global or allow_private


def kind_of_address(address: str) -> str:
    """What a non-public `address` is, as a phrase for an explanation ("a loopback address (this machine itself)")."""
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        return "not an IP address"
    for test, words in (
        (addr.is_loopback, "a loopback address (this machine itself)"),
        (
            is_documentation(address),
            "a documentation address (RFC 5737 / RFC 3849), for examples only, never on the internet",
        ),
        (addr.is_link_local, "a link-local address"),
        (any(addr in n for n in PRIVATE), "a private address (RFC 1918 / RFC 4193), used only inside a network"),
        (addr.is_unspecified, "the unspecified address (no host at all)"),
        (addr.is_multicast, "a multicast address"),
        (addr.is_reserved, "a reserved address"),
        (addr.is_global, "a public address"),
    ):
        if test:
            return words
    return "a special-purpose address (documentation, shared or benchmarking range), never on the internet"


def short_kind(address: str) -> str:
    """The first words of `kind_of_address`, for a table cell ("a documentation address")."""
    return kind_of_address(address).split(" (")[0].split(",")[0]

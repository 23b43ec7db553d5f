"""`net.address`: which addresses a check may connect to, and how an address is named."""

from __future__ import annotations

import pytest

from smtpkit.net.address import is_documentation, is_public, kind_of_address, may_connect, short_kind


@pytest.mark.parametrize(
    ("address", "public", "with_private"),
    [
        ("8.8.8.8", True, True),
        ("2a00:1450:4001::1", True, True),
        ("127.0.0.1", False, True),
        ("::1", False, True),
        ("10.1.2.3", False, True),
        ("fd00::5", False, True),
        ("169.254.1.1", False, True),
        ("192.0.2.201", False, False),  # documentation: never, even for the lab
        ("198.51.100.7", False, False),
        ("203.0.113.9", False, False),
        ("2001:db8::25", False, False),
        ("0.0.0.0", False, False),
        ("224.0.0.1", False, False),
        ("not an address", False, False),
    ],
)
def test_may_connect(address: str, public: bool, with_private: bool) -> None:
    assert may_connect(address) is public
    assert may_connect(address, allow_private=True) is with_private
    assert is_public(address) is (public or address == "224.0.0.1")  # Python counts multicast as global


def test_kinds_are_named() -> None:
    assert is_documentation("192.0.2.1") and not is_documentation("192.0.3.1")
    assert kind_of_address("127.0.0.3") == "a loopback address (this machine itself)"
    assert short_kind("192.0.2.1") == "a documentation address"
    assert short_kind("192.168.1.1") == "a private address"
    assert short_kind("fe80::1") == "a link-local address"
    assert short_kind("0.0.0.0") == "the unspecified address"
    assert kind_of_address("x") == "not an IP address"

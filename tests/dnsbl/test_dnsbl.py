"""RFC 5782 query names and the meaning of answers, with plain strings: only documented codes are listings."""

from __future__ import annotations

import pytest

from smtpkit.dnsbl import (
    LISTED,
    NOT_LISTED,
    REFUSED,
    REWRITTEN,
    UNKNOWN_CODE,
    Blocklist,
    builtin_lists,
    choose_lists,
    interpret,
    is_public,
    query_name,
    rfc5782_entries,
)


def _zen() -> Blocklist:
    return next(bl for bl in builtin_lists() if bl.zone == "zen.spamhaus.org")


def test_query_names_follow_rfc5782() -> None:
    # RFC 5782 §2.1: reversed octets; §2.4: 32 reversed nibbles
    assert query_name("192.0.2.99", "bl.example") == "99.2.0.192.bl.example"
    assert query_name("127.0.0.2", "ZEN.Spamhaus.org.") == "2.0.0.127.zen.spamhaus.org"
    six = query_name("2001:db8:1:2:3:4:567:89ab", "ugly.example.com")
    assert six == "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com"  # RFC 5782 §2.4
    assert query_name("::ffff:7f00:2", "x.test").startswith("2.0.0.0.0.0.f.7.f.f.f.f.")
    assert rfc5782_entries(4) == ("127.0.0.2", "127.0.0.1") and rfc5782_entries(6) == ("::ffff:7f00:2", "::ffff:7f00:1")


@pytest.mark.parametrize(
    ("answers", "kind"),
    [
        ([], NOT_LISTED),
        (["127.0.0.2"], LISTED),
        (["127.0.0.4", "127.0.0.10"], LISTED),
        (["127.255.255.254"], REFUSED),  # public resolver: never "listed" (pydnsbl #27)
        (["127.255.255.252"], REFUSED),
        (["127.255.255.255"], REFUSED),
        (["127.255.255.200"], REFUSED),  # anything in the error range
        (["198.51.100.7"], REWRITTEN),  # a resolver's search page
        (["127.0.0.2", "198.51.100.7"], REWRITTEN),  # one foreign address taints the whole answer
        (["::1"], REWRITTEN),
        (["not-an-ip"], REWRITTEN),
        (["127.0.0.99"], UNKNOWN_CODE),
        (["127.0.0.1"], UNKNOWN_CODE),
    ],
)
def test_only_documented_codes_mean_listed(answers: list[str], kind: str) -> None:
    assert interpret(_zen(), answers).kind == kind


def test_meanings_are_named() -> None:
    v = interpret(_zen(), ["127.0.0.11", "127.0.0.2", "127.0.0.99"])
    assert v.kind == LISTED and v.codes == ("127.0.0.2", "127.0.0.11", "127.0.0.99")  # sorted, whatever DNS sent
    assert "SBL" in v.meanings[0] and "PBL" in v.meanings[1] and "does not document" in v.meanings[2]
    refused = interpret(_zen(), ["127.255.255.254"])
    assert refused.could_not_check and "public or open resolver" in refused.meanings[0]


def test_a_list_without_data_follows_rfc5782_conventions() -> None:
    custom = Blocklist.custom("BL.Example.NET.")
    assert custom.zone == "bl.example.net" and not custom.documented
    assert interpret(custom, ["127.0.0.5"]).kind == LISTED
    assert interpret(custom, ["127.255.255.254"]).kind == REFUSED
    assert interpret(custom, ["203.0.113.9"]).kind == REWRITTEN


def test_choosing_lists() -> None:
    defaults = choose_lists()
    zones = [bl.zone for bl in defaults]
    assert "zen.spamhaus.org" in zones and "zen.dnsbl.test" not in zones  # lab lists only when named
    assert all(bl.removal_url and bl.delist for bl in defaults)
    assert all(bl.listed for bl in defaults)  # every default list documents its listing codes
    extra = choose_lists(["bl.example.net", "zen.spamhaus.org"])
    assert [bl.zone for bl in extra].count("zen.spamhaus.org") == 1 and extra[-1].zone == "bl.example.net"
    only = choose_lists(["zen.dnsbl.test"], only=True)
    assert [bl.zone for bl in only] == ["zen.dnsbl.test"] and only[0].documented  # known zone keeps its codes
    with pytest.raises(ValueError, match="at least one"):
        choose_lists([], only=True)
    for bad in ("", "nodot", "bad zone.example", "a..b", "x" * 64 + ".example", "evil.example/$(rm)"):
        with pytest.raises(ValueError, match="not a blocklist zone"):
            choose_lists([bad])


def test_public_addresses() -> None:
    assert is_public("203.0.114.5") and is_public("2a00:1450:4001::1")
    for private in ("127.0.0.1", "10.0.0.1", "192.168.1.1", "192.0.2.99", "::1", "fd00::1", "100.64.0.1"):
        assert not is_public(private)

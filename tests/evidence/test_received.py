"""Received fields from real MTAs: every hop read with its names, address, protocol, TLS and time."""

from __future__ import annotations

import datetime as dt

import pytest

from smtpkit.evidence.headers import parse_message
from smtpkit.evidence.received import parse_chain, parse_received

UTC = dt.UTC

# (field as the MTA writes it, expected facts)
CASES = [
    (
        "postfix_tls",
        "from mail.example.com (mail.example.com [IPv6:2001:db8::25]) (using TLSv1.3 with cipher"
        " TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits)"
        " server-digest SHA256) (No client certificate requested) by mx.example.org (Postfix) with ESMTPS id 4ABCD"
        " for <x@example.org>; Mon, 2 Jan 2023 10:00:00 +0100 (CET)",
        {
            "from_helo": "mail.example.com",
            "from_ip": "2001:db8::25",
            "by": "mx.example.org",
            "tls": True,
            "tls_version": "TLS1.3",
            "cipher": "TLS_AES_256_GCM_SHA384",
            "for_addr": "x@example.org",
            "timestamp": dt.datetime(2023, 1, 2, 9, 0, tzinfo=UTC),
        },
    ),
    (
        "sendmail",
        "from e1.example.org (r135.example.net [192.0.2.128]) by mx.example.jp (8.14.4/8.14.4) with ESMTP id"
        " o91AFNQX000234 for <shironeko@example.jp>; Fri, 1 Oct 2010 19:15:24 +0900 (JST)",
        {
            "from_helo": "e1.example.org",
            "from_rdns": "r135.example.net",
            "from_ip": "192.0.2.128",
            "tls": False,
            "id": "o91AFNQX000234",
            "timestamp": dt.datetime(2010, 10, 1, 10, 15, 24, tzinfo=UTC),
        },
    ),
    (
        "sendmail_tls",
        "from host.example (host.example [192.0.2.5]) (authenticated bits=0) by relay.example.com (8.15.2/8.15.2)"
        " with ESMTPSA id 302ABC (version=TLSv1.2 cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 verify=NOT) for"
        " <z@example.org>; Mon, 2 Jan 2023 10:00:00 +0100",
        {"protocol": "ESMTPSA", "tls": True, "tls_version": "TLS1.2", "cipher": "ECDHE-RSA-AES256-GCM-SHA384"},
    ),
    (
        "exim",
        "from [198.51.100.7] (helo=client.example) by smtp.example.net with esmtpsa (TLS1.3) tls"
        " TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <a@example.net>) id 1pXyZ-0001; Mon, 02 Jan 2023"
        " 09:59:58 +0000",
        {
            "from_helo": "client.example",
            "from_ip": "198.51.100.7",
            "tls": True,
            "tls_version": "TLS1.3",
            "envelope_from": "a@example.net",
            "id": "1pXyZ-0001",
        },
    ),
    (
        "exim_rdns",
        "from r1.example.net ([192.0.2.9] helo=mailer.example) by mx.example.org with esmtp (Exim 4.94.2) id"
        " 1abc-0004; Tue, 03 Jan 2023 00:00:00 +0000",
        {"from_rdns": "r1.example.net", "from_helo": "mailer.example", "from_ip": "192.0.2.9", "tls": False},
    ),
    (
        "qmail",
        "from relay13.example.co.jp (HELO rr41.out.example.co.jp) (192.0.2.4) by mx4s.example.jp with SMTP; 24 Apr"
        " 2013 00:00:00 +0900",
        {
            "from_rdns": "relay13.example.co.jp",
            "from_helo": "rr41.out.example.co.jp",
            "from_ip": "192.0.2.4",
            "timestamp": dt.datetime(2013, 4, 23, 15, 0, tzinfo=UTC),
        },
    ),
    (
        "gmail_in",
        "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41]) by mx.google.com with SMTPS id"
        " a1sor123 for <bob@gmail.com> (Google Transport Security); Fri, 01 Jan 2021 00:00:00 -0800 (PST)",
        {"from_ip": "209.85.220.41", "by": "mx.google.com", "tls": True, "for_addr": "bob@gmail.com"},
    ),
    (
        "gmail_internal",
        "by 2002:a05:6a10:a0d1:0:0:0:0 with SMTP id l17csp1234567pxa; Fri, 1 Jan 2021 00:00:01 -0800 (PST)",
        {"by": "2002:a05:6a10:a0d1:0:0:0:0", "from_ip": "", "tls": False},
    ),
    (
        "office365",
        "from DM6PR11MB1234.namprd11.prod.outlook.com (2603:10b6:5:1b0::25) by"
        " BN6PR11MB4321.namprd11.prod.outlook.com (2603:10b6:405:5d::11) with Microsoft SMTP Server"
        " (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.3763.19; Tue, 12 Jan 2021"
        " 10:00:00 +0000",
        {"from_ip": "2603:10b6:5:1b0::25", "protocol": "Microsoft SMTP Server", "tls": True, "tls_version": "TLS1.2"},
    ),
    (
        "courier",
        "from host.example (host.example [::ffff:192.0.2.77]) (AUTH: LOGIN alice, TLS: TLSv1.2,256bits,"
        "ECDHE-RSA-AES256-GCM-SHA384) by mx.example.com with ESMTPSA; Wed, 04 Jan 2023 12:00:00 +0000",
        {"from_ip": "192.0.2.77", "tls": True, "protocol": "ESMTPSA"},
    ),
    (
        "domino",
        "from mta.example.jp ([192.0.2.25]) by notes.example.jp (Lotus Domino Release 8.5.3FP6) with ESMTP id"
        " 2014010100000000-000000 ; Wed, 1 Jan 2014 00:00:00 +0900",
        {"from_ip": "192.0.2.25", "by": "notes.example.jp", "software": "Lotus Domino Release 8.5.3FP6"},
    ),
    (
        "no_semicolon_gmx",
        "from mda by mogmxus001.server.lan id 0LvVA5-1Y3oYj34nD-010g2Y Sat, 29 Nov 2014 00:32:10 +0100",
        {"by": "mogmxus001.server.lan", "timestamp": dt.datetime(2014, 11, 28, 23, 32, 10, tzinfo=UTC)},
    ),
]


@pytest.mark.parametrize(("name", "value", "facts"), CASES, ids=[c[0] for c in CASES])
def test_real_dialects(name: str, value: str, facts: dict[str, object]) -> None:
    hop = parse_received(value)
    for key, want in facts.items():
        assert getattr(hop, key) == want, (key, hop)


def test_chain_is_oldest_first_with_delays_and_backwards_clocks() -> None:
    newest_first = [
        "from b.example (b.example [192.0.2.2]) by c.example with ESMTPS id 3; Mon, 2 Jan 2023 10:30:00 +0000",
        "from a.example (a.example [192.0.2.1]) by b.example with ESMTP id 2; Mon, 2 Jan 2023 10:00:00 +0000",
        "from client (client [192.0.2.9]) by a.example with ESMTPSA id 1; Mon, 2 Jan 2023 10:01:00 +0000",
    ]
    hops, dropped = parse_chain(newest_first)
    assert dropped == 0
    assert [h.by for h in hops] == ["a.example", "b.example", "c.example"]
    assert [h.delay for h in hops] == [None, -60.0, 1800.0]


def test_unreadable_hop_is_kept_raw_with_a_note() -> None:
    hop = parse_received("garbage with no clauses")
    assert not hop.parsed and "shown raw" in hop.note and hop.to_row()["raw"] == "garbage with no clauses"
    odd = parse_received("from a by b; not a date at all")
    assert odd.timestamp is None and "could not be read" in odd.note


def test_every_hop_of_the_shared_messages_has_its_time(conformance_dir) -> None:  # type: ignore[no-untyped-def]
    files = sorted((conformance_dir / "messages").rglob("*.eml"))
    if not files:
        pytest.skip("no shared messages")
    total = 0
    for f in files:
        msg = parse_message(f.read_bytes())
        values = msg.get_all("Received")
        hops, dropped = parse_chain(values)
        assert len(hops) == len(values) and dropped == 0, f.name
        for h in hops:
            total += 1
            assert h.timestamp is not None, (f.name, h.raw)
            assert h.by or h.from_helo or h.from_ip or "qmail" in h.raw, (f.name, h.raw)
    assert total > 100


def test_the_reverse_name_is_read_from_the_comment_that_holds_the_address() -> None:
    """Postfix's "(localhost [127.0.0.1]) (using TLSv1.3 ...)": the reverse name is localhost, one label; the
    TLS comment's "TLSv1.3" looks like a host name and was taken for it (a walk-through saw "reverse name
    TLSv1.3" on notebook 07's first result)."""
    hop = parse_received(
        "from laptop.smtpkit.test (localhost [127.0.0.1]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384"
        " (256/256 bits)) by mail.smtpkit.test with ESMTPS id 1; Fri, 4 Dec 2026 10:00:00 +0000"
    )
    assert (hop.from_rdns, hop.from_helo, hop.from_ip) == ("localhost", "laptop.smtpkit.test", "127.0.0.1")
    hop = parse_received("from helo.example (unknown [192.0.2.1]) by mx.test; Fri, 4 Dec 2026 10:00:00 +0000")
    assert hop.from_rdns == ""  # "unknown": the receiver found no reverse name

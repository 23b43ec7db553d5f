"""Authentication-Results, Received-SPF and ARC sets read into rows, as receivers write them."""

from __future__ import annotations

from smtpkit.evidence.authres import parse_arc_sets, parse_authentication_results, parse_received_spf
from smtpkit.evidence.headers import decode_words, parse_message


def test_gmail_style_results() -> None:
    value = (
        "mx.google.com; dkim=pass header.i=@example.com header.s=s1 header.b=abc; spf=pass (google.com: domain of"
        " bounce@mail.example.net designates 192.0.2.1 as permitted sender) smtp.mailfrom=bounce@mail.example.net;"
        ' dmarc=fail (p=REJECT sp=REJECT dis=NONE) header.from=example.com; arc=none reason="no ; here"'
    )
    authserv, rows = parse_authentication_results(value)
    assert authserv == "mx.google.com"
    assert [(r.method, r.result) for r in rows] == [
        ("dkim", "pass"),
        ("spf", "pass"),
        ("dmarc", "fail"),
        ("arc", "none"),
    ]
    spf = rows[1]
    assert spf.prop("smtp.mailfrom") == "bounce@mail.example.net" and "designates" in spf.comment
    assert rows[2].comment.startswith("p=REJECT")
    assert rows[3].reason == "no ; here"


def test_none_and_version_and_broken() -> None:
    assert parse_authentication_results("mx.example.org 1; none") == ("mx.example.org", [])
    _, rows = parse_authentication_results("mx.example.org; spf=maybe smtp.mailfrom=x")
    assert rows[0].note and "not a result" in rows[0].note
    _, rows = parse_authentication_results("mx.example.org; ;;; (only a comment)")
    assert all(r.method == "?" for r in rows)


def test_received_spf() -> None:
    r = parse_received_spf(
        "softfail (example.org: transitioning domain of a@example.com does not designate 192.0.2.1 as permitted"
        " sender) client-ip=192.0.2.1; envelope-from=a@example.com; helo=h.example; receiver=mx.example.org;"
    )
    assert (r.method, r.result, r.prop("client-ip"), r.authserv_id) == (
        "spf",
        "softfail",
        "192.0.2.1",
        "mx.example.org",
    )


def test_arc_sets_by_instance_and_gaps() -> None:
    sets, problems = parse_arc_sets(
        [
            "i=1; a=rsa-sha256; cv=none; d=a.example; s=s1; t=1; b=AAA",
            "i=3; a=rsa-sha256; cv=pass; d=b.example; s=s; b=B",
        ],
        ["i=1; a=rsa-sha256; d=a.example; s=s1; h=from:to; bh=x; b=y"],
        ["i=1; mx.a.example; spf=pass smtp.mailfrom=x@y.example"],
    )
    assert [s.instance for s in sets] == [1, 3]
    assert sets[0].cv == "none" and sets[0].missing == []
    assert "ARC-Message-Signature" in sets[1].missing
    assert any("without gaps" in p for p in problems)


def test_arc_authentication_results_rows() -> None:
    _authserv, rows = parse_authentication_results(
        "i=1; mx.a.example; dkim=pass header.d=x.example", source="ARC-Authentication-Results"
    )
    assert rows[0].source == "ARC-Authentication-Results i=1" and rows[0].authserv_id == "mx.a.example"


def test_headers_tolerate_pastes_and_encoded_words() -> None:
    pasted = (
        b"Original Message\nMessage ID\t<x@y>\n\nReceived: from a by b; Mon, 2 Jan 2023 10:00:00 +0000\n"
        b"Subject: =?utf-8?B?w6lsw6h2ZQ==?= =?bogus-charset?Q?caf=E9?=\n"
    )
    msg = parse_message(pasted)
    assert msg.skipped_preamble == 3 and msg.headers_only
    assert decode_words(msg.get("Subject")).startswith("élève")
    assert decode_words("=?utf-8?B?!!!notbase64?=")  # broken words never raise

"""The RFC 8460 TLS-RPT record grammar, with the RFC's examples and hostile inputs."""

from __future__ import annotations

import pytest

from smtpkit.tlsrpt import parse_record, select_records


@pytest.mark.parametrize(
    ("text", "destinations"),
    [
        # RFC 8460 §3.1 examples
        ("v=TLSRPTv1;rua=mailto:reports@example.com", ["reports@example.com"]),
        ("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", ["https://reporting.example.com/v1/tlsrpt"]),
        (
            "v=TLSRPTv1; rua=mailto:reports@example.com,https://reporting.example.com/v1/tlsrpt",
            ["reports@example.com", "https://reporting.example.com/v1/tlsrpt"],
        ),
        ("v=TLSRPTv1; rua=mailto:a%2Bb@example.com ; ", ["a+b@example.com"]),
        ("v=TLSRPTv1; rua=mailto:r@example.com; ext=1", ["r@example.com"]),
    ],
)
def test_valid_records(text: str, destinations: list[str]) -> None:
    rec = parse_record(text)
    assert rec.valid, rec.problems
    assert rec.destinations == destinations


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("v=TLSRPTv2; rua=mailto:r@example.com", "must start with"),
        ("v=tlsrptv1; rua=mailto:r@example.com", "must start with"),
        ("v=TLSRPTv1", "rua= field is missing"),
        ("v=TLSRPTv1; rua=http://example.com/tls", "scheme 'http'"),
        ("v=TLSRPTv1; rua=mailto:not-an-address", "not an e-mail address"),
        ("v=TLSRPTv1; rua=https:///path", "no host name"),
        ("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", "appears twice"),
        ("v=TLSRPTv1;; rua=mailto:a@example.com", "empty field"),
        ("v=TLSRPTv1; rua", "not a name=value"),
        ("v=TLSRPTv1; rua=mailto:a@example.com; bad name=x", "extension"),
    ],
)
def test_invalid_records_say_why(text: str, problem: str) -> None:
    rec = parse_record(text)
    assert not rec.valid
    assert any(problem in p for p in rec.problems), rec.problems


def test_only_tlsrpt_records_are_selected() -> None:
    texts = ["v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1x", "v=TLSRPTv1"]
    assert select_records(texts) == ["v=TLSRPTv1; rua=mailto:a@example.com", "v=TLSRPTv1"]


def test_hostile_records_do_not_break_the_parser() -> None:
    huge = "v=TLSRPTv1; rua=" + ",".join(f"mailto:r{i}@example.com" for i in range(5000))
    assert len(parse_record(huge).rua) == 5000
    assert not parse_record("v=TLSRPTv1; rua=mailto:\x00@example.com\x1b[31m").valid
    assert not parse_record(";" * 10000).valid

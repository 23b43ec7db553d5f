"""`smtpkit spf` and `smtpkit domain` against SPF records with digits from other scripts (issue 14, item 5).

Real commands through `smtpkit.cli.main`, a DNS server on loopback: before,
``v=spf1 ip4:1.2.3.٤ -all`` ended both in a traceback (and `--json` printed
nothing). Now: one JSON document, exit 1, the finding spf.syntax_error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from smtpkit.cli import main
from smtpkit.lab.dns_server import DnsServer
from smtpkit.lab.zoneset import Record, ZoneSet

RECORDS = {
    "arabic.test": "v=spf1 ip4:1.2.3.\u0664 -all",
    "fullwidth.test": "v=spf1 ip4:\uff11.\uff12.\uff13.\uff14 -all",
    "prefix.test": "v=spf1 ip4:1.2.3.0/\u0662\u0664 -all",
    "ip6.test": "v=spf1 ip6:2001:db8::\u0661 -all",
    "mx-prefix.test": "v=spf1 mx/\uff12\uff14 -all",
}


@pytest.fixture(scope="module")
def nameserver() -> Iterator[str]:
    with DnsServer(ZoneSet([Record(d, "TXT", r) for d, r in RECORDS.items()], zones=list(RECORDS))) as server:
        yield server.nameserver


@pytest.mark.parametrize("command", ["spf", "domain"])
@pytest.mark.parametrize("domain", sorted(RECORDS))
def test_a_record_with_non_ascii_digits_is_a_syntax_error_finding(  # type: ignore[no-untyped-def]
    capsys, nameserver: str, command: str, domain: str
) -> None:
    code = main([command, domain, "--ip", "1.2.3.4", "--nameserver", nameserver, "--json"])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    doc = json.loads(out.out)
    assert code == 1 and "spf.syntax_error" in [f["code"] for f in doc["findings"]]

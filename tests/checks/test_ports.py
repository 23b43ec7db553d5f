"""The port x mode matrix: concurrent, bounded by about one timeout, with a recommendation."""

from __future__ import annotations

import json
import time

import pytest

from smtpkit import check_ports
from smtpkit.cli import main
from smtpkit.errors import InvalidSettings
from smtpkit.net.dns import Resolver
from tests.support.peers import FullBacklog


def _ports(lab, *names):  # type: ignore[no-untyped-def]
    return [lab.endpoint(n).port for n in names]


def test_matrix_of_lab_ports_in_about_one_timeout(lab) -> None:
    names = ("submission", "implicit_tls", "refusing", "silent", "self_signed", "starttls_required")
    ports = _ports(lab, *names)
    timeout = 2.0
    with FullBacklog() as filtered:
        start = time.monotonic()
        matrix = check_ports("127.0.0.1", ports + [filtered.port], timeout=timeout, cafile=lab.ca_file)
        elapsed = time.monotonic() - start
    # 7 ports x 2 modes, two of them silent and one filtered: sequentially that is many timeouts
    assert elapsed < 2.5 * timeout, f"matrix took {elapsed:.2f} s"
    rows = {r["port"]: r for r in matrix.rows()}
    sub, imp, refusing, silent, self_signed, plain, filt = (rows[p] for p in ports + [filtered.port])
    assert sub["starttls_offered"] == "yes" and sub["use_as"] == "STARTTLS" and sub["certificate"] == "valid", (
        matrix.to_dict()["ports"][0]
    )
    assert "PLAIN" in sub["auth_after_tls"] and sub["auth_before_tls"] == "-"
    assert imp["implicit_tls_works"] == "yes" and imp["use_as"] == "implicit TLS" and imp["greets"] == "after TLS"
    assert refusing["reachable"] == "refused"
    assert silent["reachable"] == "yes" and silent["greets"] == "no" and silent["use_as"] == "-"
    assert self_signed["certificate"].startswith("INVALID") and "bad certificate" in self_signed["use_as"]
    assert plain["auth_before_tls"] != "-"  # AUTH advertised before TLS: the starttls_required lesson
    assert filt["reachable"] == "timeout"
    rec = matrix.recommendation
    assert (rec["port"], rec["security"]) == (lab.endpoint("implicit_tls").port, "tls")  # RFC 8314 prefers implicit TLS
    assert {"port": lab.endpoint("submission").port, "security": "starttls"} in rec["alternatives"]
    assert "<table>" in matrix._repr_html_() and "Recommendation" in matrix.to_text()
    assert list(matrix.to_frame()["port"]) == ports + [filtered.port]


def test_ports_cli_json(lab, capsys) -> None:
    ports = _ports(lab, "submission", "refusing")
    code = main(
        [
            "ports",
            "127.0.0.1",
            "--ports",
            ",".join(map(str, ports)),
            "--timeout",
            "2",
            "--cafile",
            lab.ca_file,
            "--json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [p["port"] for p in doc["ports"]] == ports
    assert doc["ports"][0]["starttls_works"] == "yes"
    assert doc["recommendation"]["port"] == ports[0] and doc["recommendation"]["security"] == "starttls"


def test_ports_cli_no_usable_port_exits_1(lab, capsys) -> None:
    code = main(["ports", "127.0.0.1", "--ports", str(lab.endpoint("refusing").port), "--timeout", "1"])
    out = capsys.readouterr().out
    assert code == 1 and "No port of 127.0.0.1 answered" in out


def test_ports_cli_rejects_bad_ports(capsys) -> None:
    assert main(["ports", "127.0.0.1", "--ports", "25,abc"]) == 2
    assert "not a number" in capsys.readouterr().err


def test_unresolvable_host(lab) -> None:
    matrix = check_ports("nosuchhost.smtpkit.test", [587], timeout=1, resolver=Resolver([lab.nameserver], timeout=1))
    assert matrix.recommendation["port"] is None and "does not resolve" in matrix.recommendation["summary"]
    assert matrix.to_dict()["ports"] == []


def test_bad_input_raises_invalid_settings_like_every_entry_point() -> None:
    with pytest.raises(InvalidSettings, match="carriage return") as exc:
        check_ports("smtp.example.com\r\nQUIT", [587])
    assert exc.value.field == "host"
    with pytest.raises(InvalidSettings, match="not a number") as exc:
        check_ports("smtp.example.com", "25,x")
    assert exc.value.field == "ports"

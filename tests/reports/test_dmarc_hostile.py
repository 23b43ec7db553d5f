"""Mangled aggregate and TLS-RPT reports: whatever the bytes, a table or a problem row, never an exception.

Hypothesis cuts and splices bytes (and XML fragments) into a valid report;
every result must be a consistent table (one value per row in every column)
plus problem rows saying why anything was not read.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smtpkit.lab.reports import synthetic_report
from smtpkit.reports.dmarc import AggregateTable
from smtpkit.reports.ingest import Payload
from smtpkit.reports.tlsrpt import TlsTable

REPORT = synthetic_report(4, seed=5, report_id="fuzz")
TLS = json.dumps(
    {
        "organization-name": "X",
        "date-range": {"start-datetime": "2026-03-01T00:00:00Z", "end-datetime": "2026-03-01T23:59:59Z"},
        "report-id": "t1",
        "policies": [{"policy": {"policy-type": "sts"}, "summary": {"total-failure-session-count": 1}}],
    }
).encode()


def mangle(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for at, cut, insert in edits:
        at %= max(1, len(out))
        out[at : at + cut] = insert
    return bytes(out)


EDITS = st.lists(
    st.tuples(
        st.integers(0, 10_000),
        st.integers(0, 40),
        st.binary(max_size=12) | st.sampled_from([b"<", b"</record>", b"&", b"<![CDATA[", b"\xff"]),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_mangled_aggregate_reports_never_raise(edits: list[tuple[int, int, bytes]]) -> None:
    table = AggregateTable()
    kinds = {"unreadable", "refused", "partial", "duplicate", "skipped", "empty"}
    for name, data in (("fuzz.xml", mangle(REPORT, edits)), ("fuzz-twice.xml", mangle(REPORT, edits[::-1]))):
        problems = table.add(Payload(name, "xml", data))
        assert all(p.kind in kinds for p in problems)
        assert problems or len(table) > 0 or table.reports > 0  # read, or said why not
    frame = table.frame()
    assert len(frame) == len(table)  # every column has one value per row
    assert frame["count"].ge(0).all()


@settings(max_examples=100, deadline=None)
@given(EDITS)
def test_mangled_tls_reports_never_raise(edits: list[tuple[int, int, bytes]]) -> None:
    table = TlsTable()
    problems = table.add(Payload("fuzz.json", "json", mangle(TLS, edits)))
    policies, failures = table.frames()
    assert len(policies) <= 1 and (problems or len(policies) == 1)


def test_a_clean_report_keeps_its_numbers() -> None:
    table = AggregateTable()
    assert table.add(Payload("ok.xml", "xml", REPORT)) == []
    assert len(table.frame()) == 4

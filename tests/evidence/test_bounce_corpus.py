"""Every bounce of the shared set: the kind, and per failed recipient the address and the status it states."""

from __future__ import annotations

import pytest

from smtpkit.evidence.bounce import parse_bounce
from tests.evidence.bounce_expectations import EXPECTED_KIND_ROWS, SHARED_BOUNCES


@pytest.fixture(scope="module")
def bounces_dir(conformance_dir):  # type: ignore[no-untyped-def]
    if not SHARED_BOUNCES.is_dir():
        pytest.skip(f"no shared bounces at {SHARED_BOUNCES}")
    return SHARED_BOUNCES


@pytest.mark.parametrize("name", sorted(EXPECTED_KIND_ROWS))
def test_each_shared_bounce_states_its_recipient_and_status(bounces_dir, name: str) -> None:
    kind, rows = EXPECTED_KIND_ROWS[name]
    b = parse_bounce((bounces_dir / name).read_bytes())
    assert b.kind == kind, (name, b.problem)
    got = [(r.recipient, r.status) for r in b.recipients]
    assert got == rows
    for r in b.recipients:
        # "none" when the bounce states no code: never an invented one at this layer
        assert r.status_source == ("none" if not r.status else r.status_source)
        assert r.status_source in ("dsn", "text", "none")


def test_the_shared_set_is_the_one_pinned(bounces_dir) -> None:  # type: ignore[no-untyped-def]
    on_disk = {p.name for p in bounces_dir.glob("*.eml")}
    assert on_disk == set(EXPECTED_KIND_ROWS), "a bounce was added or removed: pin what it states"


def test_reply_codes_and_remote_hosts_are_read_where_stated(bounces_dir) -> None:  # type: ignore[no-untyped-def]
    exim = parse_bounce((bounces_dir / "lhost-exim-01.eml").read_bytes()).recipients[0]
    assert (exim.reply, exim.remote_mta, exim.stage) == ("550", "mx.example.jp", "mail")
    qmail = parse_bounce((bounces_dir / "lhost-qmail-01.eml").read_bytes()).recipients[0]
    assert (qmail.reply, qmail.status) == ("550", "5.5.0")
    assert "Unknown user" in qmail.diagnostic
    dsn = parse_bounce((bounces_dir / "lhost-sendmail-01.eml").read_bytes())
    assert dsn.kind == "dsn" and dsn.recipients[0].action == "failed"
    assert dsn.recipients[0].reply == "550"
